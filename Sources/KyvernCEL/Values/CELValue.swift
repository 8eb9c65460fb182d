/// A CEL runtime value.
///
/// Objects typed by a schema are maps with string keys at runtime; their declared type lives in the checker.
/// Timestamps keep seconds and nanoseconds apart because CEL's range (years 1 to 9999) does not fit
/// in one Int64 of nanoseconds.
public enum CELValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([CELValue])
    case map(CELMap)
    case type(CELType)
    /// Nanoseconds.
    case duration(Int64)
    case timestamp(seconds: Int64, nanos: Int32)
    /// `optional.of(v)` is `.optional(v)`, `optional.none()` is `.optional(nil)`.
    indirect case optional(CELValue?)
    /// Kubernetes library values.
    case quantity(CELQuantity)
    case url(CELURL)
    case regexPattern(String)
}

/// A CEL map: insertion-ordered entries (for stable iteration) with CEL key equality
/// (`1`, `1u` and `1.0` are the same key).
public struct CELMap: Sendable {
    public private(set) var keys: [CELValue] = []
    public private(set) var values: [CELValue] = []
    private var index: [CELMapKey: Int] = [:]

    public init() {}

    public init(_ pairs: [(CELValue, CELValue)]) throws(CELEvalError) {
        for (k, v) in pairs {
            guard let mk = CELMapKey(k) else { throw CELEvalError("unsupported key type") }
            if index[mk] != nil { throw CELEvalError("Failed with repeated key") }
            index[mk] = keys.count
            keys.append(k)
            values.append(v)
        }
    }

    /// Builds a map from JSON-like string keys (schema objects), keeping their order.
    public init(stringKeyed pairs: [(String, CELValue)]) {
        for (k, v) in pairs where index[.string(k)] == nil {
            index[.string(k)] = keys.count
            keys.append(.string(k))
            values.append(v)
        }
    }

    public var count: Int { keys.count }

    public subscript(key: CELValue) -> CELValue? {
        guard let mk = CELMapKey(key), let i = index[mk] else { return nil }
        return values[i]
    }

    public subscript(string key: String) -> CELValue? {
        guard let i = index[.string(key)] else { return nil }
        return values[i]
    }

    public func contains(_ key: CELValue) -> Bool { self[key] != nil }

    public var entries: Zip2Sequence<[CELValue], [CELValue]> { zip(keys, values) }
}

/// Map keys compare across numeric kinds, so an int key finds a uint or a whole double.
enum CELMapKey: Hashable {
    case bool(Bool)
    case number(Int64)
    case bigUint(UInt64)
    case string(String)

    init?(_ v: CELValue) {
        switch v {
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(i)
        case .uint(let u): self = u <= UInt64(Int64.max) ? .number(Int64(u)) : .bigUint(u)
        case .double(let d):
            if d.rounded() == d, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 { self = .number(Int64(d)) }
            else if d.rounded() == d, d >= 0, d < 1.8446744073709552e19 { self = .bigUint(UInt64(d)) }
            else { return nil }
        case .string(let s): self = .string(s)
        default: return nil
        }
    }
}
