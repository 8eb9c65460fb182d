/// Builders for field causes, worded as upstream's `field.Error.ErrorBody()`.
///
/// A cause's message is what upstream puts in `details.causes[].message` and, prefixed with the
/// field, in the Status message: `Invalid value: "Bad_Name": a lowercase RFC 1123 ...`.
extension APIError.Cause {
    /// `FieldValueInvalid`: `Invalid value: <value>: <detail>`.
    public static func invalid(_ field: String, _ value: JSONValue, _ detail: String) -> Self {
        Self(type: "FieldValueInvalid", message: body("Invalid value", value: value, detail: detail), field: field)
    }

    /// `FieldValueTypeInvalid`: a value of the wrong JSON type (what a typed decoder would refuse).
    public static func typeInvalid(_ field: String, _ value: JSONValue, _ detail: String) -> Self {
        Self(type: "FieldValueTypeInvalid", message: body("Invalid value", value: value, detail: detail), field: field)
    }

    /// `FieldValueRequired`: `Required value[: <detail>]`.
    public static func required(_ field: String, _ detail: String = "") -> Self {
        Self(type: "FieldValueRequired", message: body("Required value", value: nil, detail: detail), field: field)
    }

    /// `FieldValueForbidden`: `Forbidden: <detail>`.
    public static func forbidden(_ field: String, _ detail: String) -> Self {
        Self(type: "FieldValueForbidden", message: body("Forbidden", value: nil, detail: detail), field: field)
    }

    /// `FieldValueTooLong`: `Too long: must have at most <n> bytes` (the value is never echoed).
    public static func tooLong(_ field: String, maxBytes: Int) -> Self {
        Self(type: "FieldValueTooLong", message: "Too long: must have at most \(maxBytes) bytes", field: field)
    }

    /// `FieldValueDuplicate`: `Duplicate value: <value>`.
    public static func duplicate(_ field: String, _ value: JSONValue) -> Self {
        Self(type: "FieldValueDuplicate", message: body("Duplicate value", value: value, detail: ""), field: field)
    }

    /// `FieldValueNotSupported`: `Unsupported value: <value>: supported values: "a", "b"`.
    public static func notSupported(_ field: String, _ value: JSONValue, supported: [String]) -> Self {
        let detail = supported.isEmpty ? "" : "supported values: " + supported.map(goQuote).joined(separator: ", ")
        return Self(type: "FieldValueNotSupported", message: body("Unsupported value", value: value, detail: detail),
                    field: field)
    }

    /// `field: message`, the form upstream joins into Status messages and parse errors.
    public var fieldError: String { "\(field): \(message)" }

    private static func body(_ kind: String, value: JSONValue?, detail: String) -> String {
        var s = kind
        if let value { s += ": " + renderBadValue(value) }
        if !detail.isEmpty { s += ": " + detail }
        return s
    }
}

/// A bad value as Go's `%v`/`%q` shows it in a cause: strings quoted, scalars bare, the rest as JSON.
package func renderBadValue(_ value: JSONValue) -> String {
    switch value {
    case .string(let s): return goQuote(s)
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double, .array, .object: return value.jsonString
    }
}
