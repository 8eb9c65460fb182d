public import KyvernAPI

/// Reads a decoded YAML document into typed fields as upstream's strict decoder does: unknown
/// fields and values of the wrong JSON type are collected (with their paths) instead of being
/// ignored, so a misspelt `scroe:` is refused rather than silently changing nothing.
package struct ConfigReader: Sendable {
    package var unknownFields: [String] = []
    package var typeErrors: [String] = []

    package init() {}

    /// The object's fields; records every key outside `known`. `nil` for null/absent.
    package mutating func object(_ value: JSONValue?, _ path: FieldPath, known: Set<String>) -> [String: JSONValue]? {
        guard let value, !value.isNull else { return nil }
        guard let object = value.objectValue else {
            typeMismatch(value, path, "object")
            return nil
        }
        for key in object.keys.sorted() where !known.contains(key) {
            unknownFields.append(path.child(key).description)
        }
        return object
    }

    package mutating func array(_ value: JSONValue?, _ path: FieldPath) -> [JSONValue]? {
        guard let value, !value.isNull else { return nil }
        guard let array = value.arrayValue else {
            typeMismatch(value, path, "array")
            return nil
        }
        return array
    }

    package mutating func string(_ value: JSONValue?, _ path: FieldPath) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let string = value.stringValue else {
            typeMismatch(value, path, "string")
            return nil
        }
        return string
    }

    package mutating func bool(_ value: JSONValue?, _ path: FieldPath) -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let bool = value.boolValue else {
            typeMismatch(value, path, "bool")
            return nil
        }
        return bool
    }

    package mutating func int32(_ value: JSONValue?, _ path: FieldPath) -> Int32? {
        integer(value, path, "int32").flatMap { Int32(exactly: $0) }
    }

    package mutating func int64(_ value: JSONValue?, _ path: FieldPath) -> Int64? {
        integer(value, path, "int64")
    }

    private mutating func integer(_ value: JSONValue?, _ path: FieldPath, _ type: String) -> Int64? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .int(let i):
            if type == "int32" && Int32(exactly: i) == nil { break }
            return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15:
            return Int64(d)
        default: break
        }
        typeMismatch(value, path, type)
        return nil
    }

    /// Worded as Go's `encoding/json` type error.
    private mutating func typeMismatch(_ value: JSONValue, _ path: FieldPath, _ type: String) {
        let found: String
        switch value {
        case .int, .double: found = "number"
        case .string: found = "string"
        case .bool: found = "bool"
        case .array: found = "array"
        case .object: found = "object"
        case .null: found = "null"
        }
        typeErrors.append("cannot unmarshal \(found) into Go struct field \(path) of type \(type)")
    }

    /// Throws what was collected, worded as upstream's strict decoder.
    func check() throws(SchedulerConfigError) {
        if let first = typeErrors.first {
            throw SchedulerConfigError(message: "json: " + first)
        }
        if !unknownFields.isEmpty {
            let fields = unknownFields.map { "unknown field " + goQuote($0) }
            throw SchedulerConfigError(message: "strict decoding error: " + fields.joined(separator: ", "))
        }
    }
}
