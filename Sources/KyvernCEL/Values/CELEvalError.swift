/// A runtime error, worded as cel-go words it ("no such key: x", "division by zero", ...):
/// Kubernetes puts these texts into the 422 a user sees.
public struct CELEvalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The evaluation ran out of its cost budget; Kubernetes stops evaluating further rules on this one.
    public var costExceeded: Bool

    public init(_ message: String, costExceeded: Bool = false) {
        self.message = message
        self.costExceeded = costExceeded
    }

    public var description: String { message }

    static func noSuchOverload(_ function: String) -> CELEvalError {
        CELEvalError("no such overload: \(function)")
    }
    static let overflow = CELEvalError("integer overflow")
    static let divisionByZero = CELEvalError("division by zero")
    static let moduloByZero = CELEvalError("modulus by zero")
    static let costLimit = CELEvalError("operation cancelled: actual cost limit exceeded", costExceeded: true)
}
