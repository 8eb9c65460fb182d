/// Reads the members of one JSON object into a typed model's fields (used by the generated models).
///
/// An explicit `null` reads as absent, as Go's decoder treats it; errors name the field path.
public struct JSONFields {
    let members: [String: JSONValue]

    /// Fails unless `json` is an object; `type` names the model in the error.
    public init(_ json: JSONValue, type: String) throws {
        guard case .object(let members) = json else {
            throw ModelDecodingError(message: "expected object for \(type), found \(json.jsonTypeName)")
        }
        self.members = members
    }

    public func optional<T: JSONRepresentable>(_ key: String) throws -> T? {
        guard let value = members[key], !value.isNull else { return nil }
        do {
            return try T(json: value)
        } catch let error as ModelDecodingError {
            throw error.inside(key)
        }
    }

    public func required<T: JSONRepresentable>(_ key: String) throws -> T {
        guard let value: T = try optional(key) else {
            throw ModelDecodingError(path: key, message: "required field is missing")
        }
        return value
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Writes `value` under `key` unless it is nil (optional fields are omitted, never `null`).
    public mutating func put<T: JSONRepresentable>(_ key: String, _ value: T?) {
        if let value { self[key] = value.json }
    }
}
