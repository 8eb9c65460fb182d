/// A JSON document that does not fit a typed model: a wrong JSON type or a missing required field.
public struct ModelDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where, as a field path from the decoded value (`spec.containers[0].name`); empty for the value itself.
    public var path: String
    public var message: String

    public init(path: String = "", message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    static func mismatch(expected: String, _ found: JSONValue) -> ModelDecodingError {
        ModelDecodingError(message: "expected \(expected), found \(found.jsonTypeName)")
    }

    /// The same error one level further down: `component` is a field name or an `[index]`.
    func inside(_ component: String) -> ModelDecodingError {
        let joined: String
        if path.isEmpty {
            joined = component
        } else if path.hasPrefix("[") {
            joined = component + path
        } else {
            joined = component + "." + path
        }
        return ModelDecodingError(path: joined, message: message)
    }
}
