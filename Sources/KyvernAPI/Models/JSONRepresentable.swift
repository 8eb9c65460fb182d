/// A value with one exact JSON form: `JSONValue → typed → JSONValue` gives back the same document
/// for every field the type knows.
///
/// The typed models convert straight to and from `JSONValue` (what the client and informers carry)
/// rather than through `Codable`, which would go through `Foundation`'s coders and lose the
/// integer/double distinction; their `Codable` conformance is derived from this form instead.
public protocol JSONRepresentable: Sendable {
    init(json: JSONValue) throws
    var json: JSONValue { get }
}

extension String: JSONRepresentable {
    public init(json: JSONValue) throws {
        guard case .string(let s) = json else { throw ModelDecodingError.mismatch(expected: "string", json) }
        self = s
    }
    public var json: JSONValue { .string(self) }
}

extension Bool: JSONRepresentable {
    public init(json: JSONValue) throws {
        guard case .bool(let b) = json else { throw ModelDecodingError.mismatch(expected: "bool", json) }
        self = b
    }
    public var json: JSONValue { .bool(self) }
}

extension Int32: JSONRepresentable {
    public init(json: JSONValue) throws {
        guard let i = json.intValue, let narrow = Int32(exactly: i) else {
            throw ModelDecodingError.mismatch(expected: "int32", json)
        }
        self = narrow
    }
    public var json: JSONValue { .int(Int64(self)) }
}

extension Int64: JSONRepresentable {
    public init(json: JSONValue) throws {
        guard let i = json.intValue else { throw ModelDecodingError.mismatch(expected: "int64", json) }
        self = i
    }
    public var json: JSONValue { .int(self) }
}

extension Double: JSONRepresentable {
    public init(json: JSONValue) throws {
        switch json {
        case .double(let d): self = d
        case .int(let i): self = Double(i)
        default: throw ModelDecodingError.mismatch(expected: "number", json)
        }
    }
    public var json: JSONValue { .double(self) }
}

extension JSONValue: JSONRepresentable {
    public init(json: JSONValue) { self = json }
    public var json: JSONValue { self }
}

extension Array: JSONRepresentable where Element: JSONRepresentable {
    public init(json: JSONValue) throws {
        guard case .array(let items) = json else { throw ModelDecodingError.mismatch(expected: "array", json) }
        var result: [Element] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                result.append(try Element(json: item))
            } catch let error as ModelDecodingError {
                throw error.inside("[\(index)]")
            }
        }
        self = result
    }
    public var json: JSONValue { .array(map(\.json)) }
}

extension Dictionary: JSONRepresentable where Key == String, Value: JSONRepresentable {
    public init(json: JSONValue) throws {
        guard case .object(let members) = json else { throw ModelDecodingError.mismatch(expected: "object", json) }
        var result: [String: Value] = [:]
        result.reserveCapacity(members.count)
        for (key, member) in members {
            do {
                result[key] = try Value(json: member)
            } catch let error as ModelDecodingError {
                throw error.inside("[\(key)]")
            }
        }
        self = result
    }
    public var json: JSONValue { .object(mapValues(\.json)) }
}
