/// A CEL type: what the checker reasons with, and the value `type(x)` returns.
public indirect enum CELType: Sendable, Hashable, CustomStringConvertible {
    case int, uint, double, string, bytes, bool, null, dyn, duration, timestamp
    case list(CELType)
    case map(CELType, CELType)
    case optional(CELType)
    /// The type of a type; `type(nil)` is the plain `type` value.
    case type(CELType?)
    /// An object declared by a schema (its fields typed), e.g. a custom resource's `self`.
    case object(CELObjectType)
    /// Library types such as `kubernetes.Quantity`, `kubernetes.URL`, `kubernetes.Regex`.
    case opaque(String)
    /// A type parameter in an overload signature (`A`, `B`).
    case param(String)
    /// What an expression has after a type error; unifies with anything so one error is reported once.
    case error

    /// The name cel-go prints in messages and `type(x)` values compare by.
    public var description: String {
        switch self {
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .bool: "bool"
        case .null: "null_type"
        case .dyn: "dyn"
        case .duration: "google.protobuf.Duration"
        case .timestamp: "google.protobuf.Timestamp"
        case .list(let e): "list(\(e))"
        case .map(let k, let v): "map(\(k), \(v))"
        case .optional(let t): "optional_type(\(t))"
        case .type(let t): t.map { "type(\($0))" } ?? "type"
        case .object(let o): o.name
        case .opaque(let n): n
        case .param(let n): n
        case .error: "*error*"
        }
    }

    /// The runtime type name (what `type(x) == list` compares).
    public var runtimeName: String {
        switch self {
        case .list: "list"
        case .map, .object: "map"
        case .optional: "optional_type"
        case .type: "type"
        default: description
        }
    }
}

/// A schema object type: a name for messages and the declared fields.
public struct CELObjectType: Sendable, Hashable {
    public var name: String
    public var fields: [String: CELType]

    public init(name: String, fields: [String: CELType]) {
        self.name = name
        self.fields = fields
    }
}

extension CELValue {
    /// The value's runtime type.
    public var celType: CELType {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .uint: .uint
        case .double: .double
        case .string: .string
        case .bytes: .bytes
        case .list: .list(.dyn)
        case .map: .map(.dyn, .dyn)
        case .type: .type(nil)
        case .duration: .duration
        case .timestamp: .timestamp
        case .optional: .optional(.dyn)
        case .quantity: .opaque("kubernetes.Quantity")
        case .url: .opaque("kubernetes.URL")
        case .regexPattern: .opaque("kubernetes.Regex")
        }
    }
}
