/// One function (or operator) of the environment: its overloads for the checker, one implementation that
/// dispatches on the runtime values, and its runtime cost (cel-go charges size-proportional costs for
/// string and list work).
struct CELFunction: Sendable {
    var name: String
    var overloads: [CELOverload]
    var impl: @Sendable ([CELValue]) throws(CELEvalError) -> CELValue
    var cost: @Sendable ([CELValue]) -> UInt64 = { _ in 1 }
}

/// A signature: `member` overloads take the receiver as their first parameter.
struct CELOverload: Sendable {
    var id: String
    var member: Bool
    var params: [CELType]
    var result: CELType
    /// Estimated cost given the arguments' maximum sizes (nil: 1).
    var estimate: (@Sendable ([Double]) -> Double)? = nil

    init(_ id: String, member: Bool = false, _ params: [CELType], _ result: CELType,
         estimate: (@Sendable ([Double]) -> Double)? = nil) {
        self.id = id
        self.member = member
        self.params = params
        self.result = result
        self.estimate = estimate
    }
}

typealias CELFunctionTable = [String: CELFunction]

extension Dictionary where Key == String, Value == CELFunction {
    mutating func add(_ name: String, _ overloads: [CELOverload],
                      cost: @escaping @Sendable ([CELValue]) -> UInt64 = { _ in 1 },
                      _ impl: @escaping @Sendable ([CELValue]) throws(CELEvalError) -> CELValue) {
        if var existing = self[name] {
            // A later library extends a name (e.g. `indexOf` on strings and lists): try the newer
            // implementation first, fall back to the older one when it has no overload for the values.
            let old = existing.impl, oldCost = existing.cost
            existing.overloads += overloads
            existing.impl = { (args: [CELValue]) throws(CELEvalError) -> CELValue in
                do throws(CELEvalError) { return try impl(args) } catch let e where e.message.hasPrefix("no such overload") { return try old(args) }
            }
            existing.cost = { args in Swift.max(cost(args), oldCost(args)) }
            self[name] = existing
        } else {
            self[name] = CELFunction(name: name, overloads: overloads, impl: impl, cost: cost)
        }
    }
}

/// Size of a value as cel-go's cost model counts it (characters, bytes, elements).
func celSize(_ v: CELValue) -> UInt64 {
    switch v {
    case .string(let s): UInt64(s.unicodeScalars.count)
    case .bytes(let b): UInt64(b.count)
    case .list(let l): UInt64(l.count)
    case .map(let m): UInt64(m.count)
    default: 1
    }
}

/// cel-go's traversal cost factor: 0.1 per character.
func celStringCost(_ n: UInt64) -> UInt64 { 1 + (n + 9) / 10 }
