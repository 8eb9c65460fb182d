import KyvernAPI

/// Strategic merge patch's errors, with upstream's messages.
enum SMPError {
    static let badPatchFormatForRetainKeys = APIError.badRequest("invalid patch format of retainKeys")
    static let badPatchFormatForPrimitiveList = APIError.badRequest("invalid patch format of primitive list")
    static let badPatchFormatForSetElementOrderList = APIError.badRequest("invalid patch format of setElementOrder list")

    /// Upstream answers 422 for lists of lists.
    static let noListOfLists = APIError(
        code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request",
        details: .init(causes: [.init(type: "UnexpectedServerResponse", message: "lists of lists are not supported", field: "")]))

    static func noMergeKey(_ object: [String: JSONValue], _ key: String) -> APIError {
        APIError.badRequest("map: \(SMPFormat.go(.object(object))) does not contain declared merge key: \(key)")
    }

    static func badArgType(expected: String, _ actual: JSONValue) -> APIError {
        APIError.badRequest("expected a \(expected), but received a \(SMPFormat.goTypeName(actual))")
    }

    static func badPatchType(_ directive: JSONValue, _ object: [String: JSONValue]) -> APIError {
        APIError.badRequest("unknown patch type: \(SMPFormat.goString(directive)) in map: \(SMPFormat.go(.object(object)))")
    }

    /// A `$`-key that is no directive (upstream would keep it and its decoder refuse or drop it).
    static func unknownDirective(_ key: String) -> APIError {
        APIError.badRequest("invalid patch: unknown directive \"\(key)\"")
    }

    /// The list name of `$setElementOrder/<name>` or `$deleteFromPrimitiveList/<name>`.
    static func extractKey(_ key: String, prefix: String) throws -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else {
            throw prefix == SMPDirective.deleteFromPrimitiveList ? badPatchFormatForPrimitiveList : badPatchFormatForSetElementOrderList
        }
        return String(parts[1])
    }
}

/// JSON helpers for strategic merge patch, and Go's `%v` formatting of decoded JSON for messages.
enum SMPFormat {
    static let goSlice = "[]interface {}"
    static let goMap = "map[string]interface {}"

    enum Kind: Equatable {
        case null, bool, number, string, array, object

        init(_ value: JSONValue) {
            switch value {
            case .null: self = .null
            case .bool: self = .bool
            case .int, .double: self = .number
            case .string: self = .string
            case .array: self = .array
            case .object: self = .object
            }
        }
    }

    /// Numbers compare by value: an integral double is the same key as the integer.
    static func canonical(_ value: JSONValue) -> JSONValue {
        if case .double(let d) = value, d.rounded() == d, abs(d) < 9.0e15 { return .int(Int64(d)) }
        return value
    }

    /// Whether upstream's decoded values have the same Go type (`reflect.TypeOf` equality).
    static func sameGoType(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object, .object), (.array, .array), (.string, .string), (.bool, .bool), (.int, .int), (.double, .double):
            return true
        default:
            return false
        }
    }

    /// Drops null members of objects, recursively (upstream's `discardNullValuesFromPatch`).
    static func discardNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(object.count)
            for (key, member) in object where !member.isNull {
                result[key] = discardNulls(member)
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.map(discardNulls))
        default:
            return value
        }
    }

    static func goTypeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "%!s(<nil>)"
        case .bool: "bool"
        case .int: "int64"
        case .double: "float64"
        case .string: "string"
        case .array: goSlice
        case .object: goMap
        }
    }

    /// Go's `%s` of a decoded value.
    static func goString(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .null: "%!s(<nil>)"
        case .bool, .int, .double: "%!s(\(goTypeName(value))=\(go(value)))"
        case .array, .object: go(value)
        }
    }

    /// Go's `%v` of a decoded value: `map[a:1 b:[x y]]`.
    static func go(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.rounded() == d && abs(d) < 9.0e18 { return String(Int64(d)) }
            return "\(d)"
        case .string(let s): return s
        case .array(let elements): return "[" + elements.map(go).joined(separator: " ") + "]"
        case .object(let object):
            return "map[" + object.keys.sorted().map { "\($0):\(go(object[$0]!))" }.joined(separator: " ") + "]"
        }
    }
}
