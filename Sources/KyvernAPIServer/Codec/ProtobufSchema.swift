import Foundation
public import KyvernAPI

/// The protobuf messages of the served kinds, by field number, as the decoder needs them
/// (`scripts/generate-protobuf-schema.py` → `Resources/openapi/protobuf.json`).
///
/// Loaded once; message references are resolved to indices, fields to a dense table by number.
public struct ProtobufSchema: Sendable {
    /// A scalar as protobuf encodes it.
    enum Scalar: Sendable {
        case string, bytes, bool, `enum`
        case int32, int64, uint32, uint64, sint32, sint64
        case fixed32, fixed64, sfixed32, sfixed64, double, float

        init?(_ name: String) {
            switch name {
            case "string": self = .string
            case "bytes": self = .bytes
            case "bool": self = .bool
            case "enum": self = .enum
            case "int32": self = .int32
            case "int64": self = .int64
            case "uint32": self = .uint32
            case "uint64": self = .uint64
            case "sint32": self = .sint32
            case "sint64": self = .sint64
            case "fixed32": self = .fixed32
            case "fixed64": self = .fixed64
            case "sfixed32": self = .sfixed32
            case "sfixed64": self = .sfixed64
            case "double": self = .double
            case "float": self = .float
            default: return nil
            }
        }
    }

    /// A type whose JSON form is not an object of its fields (Go types with their own JSON marshalling).
    enum Special: String, Sendable {
        case time, microTime, duration, intOrString, quantity, rawExtension, fieldsV1, array
    }

    enum MapValue: Sendable {
        case scalar(Scalar)
        case message(Int)
    }

    enum FieldType: Sendable {
        case scalar(Scalar)
        case message(Int)
        case map(key: Scalar, value: MapValue)
    }

    struct Field: Sendable {
        var name: String
        var type: FieldType
        var repeated: Bool
        /// An embedded Go struct: its fields are members of the parent's JSON object.
        var inline: Bool
        /// Whether a scalar's zero value ("", 0, false) is left out of the JSON.
        var omitZero: Bool
    }

    struct Message: Sendable {
        var name: String
        var special: Special?
        /// Indexed by field number; nil for numbers the message does not have.
        var fields: [Field?]

        func field(_ number: UInt64) -> Field? {
            number < UInt64(fields.count) ? fields[Int(number)] : nil
        }
    }

    let messages: [Message]
    let indexByName: [String: Int]
    /// "apps/v1/Deployment" → message index.
    let kinds: [String: Int]

    /// The message index of a kind named by a body's apiVersion and kind.
    func message(apiVersion: String, kind: String) -> Int? {
        kinds["\(apiVersion)/\(kind)"]
    }

    /// Whether the table has a message for an OpenAPI definition name, e.g. `io.k8s.api.core.v1.ConfigMap`.
    public func hasDefinition(_ name: String) -> Bool { indexByName[name] != nil }

    /// Loads the bundled table.
    public static func bundled() throws -> ProtobufSchema {
        try ProtobufSchema(json: JSONValue.parse(Array(BundledResources.data("protobuf.json"))))
    }

    /// Builds the schema from the generator's JSON table.
    public init(json: JSONValue) throws {
        guard case .object(let table) = json else { throw Self.invalid("not an object") }
        let names = table.keys.filter { !$0.hasPrefix("$") }.sorted()
        var indexByName: [String: Int] = [:]
        for (index, name) in names.enumerated() { indexByName[name] = index }

        func reference(_ value: JSONValue?, in owner: String) throws -> Int {
            guard let name = value?.stringValue, let index = indexByName[name] else {
                throw Self.invalid("\(owner) refers to an unknown message \(value?.stringValue ?? "nil")")
            }
            return index
        }
        func scalar(_ value: JSONValue?, in owner: String) throws -> Scalar {
            guard let name = value?.stringValue, let scalar = Scalar(name) else {
                throw Self.invalid("\(owner) has an unknown type \(value?.stringValue ?? "nil")")
            }
            return scalar
        }

        var messages: [Message] = []
        messages.reserveCapacity(names.count)
        for name in names {
            guard case .object(let entry) = table[name] else { throw Self.invalid("\(name) is not an object") }
            var special: Special?
            var fields: [Field?] = []
            for (key, value) in entry {
                if key == "$json" {
                    guard let raw = value.stringValue, let s = Special(rawValue: raw) else {
                        throw Self.invalid("\(name) has an unknown $json \(value)")
                    }
                    special = s
                    continue
                }
                guard let number = Int(key), number > 0, number <= 4096 else {
                    throw Self.invalid("\(name) has a bad field number \(key)")
                }
                let owner = "\(name).\(key)"
                guard let fieldName = value["name"]?.stringValue, let typeName = value["type"]?.stringValue else {
                    throw Self.invalid("\(owner) lacks a name or type")
                }
                let type: FieldType
                switch typeName {
                case "message":
                    type = .message(try reference(value["ref"], in: owner))
                case "map":
                    let key = try scalar(value["map"]?["key"], in: owner)
                    let mapValue = value["map"]?["value"]
                    if let ref = mapValue?["ref"] {
                        type = .map(key: key, value: .message(try reference(ref, in: owner)))
                    } else {
                        type = .map(key: key, value: .scalar(try scalar(mapValue, in: owner)))
                    }
                default:
                    type = .scalar(try scalar(value["type"], in: owner))
                }
                let defaultOmitZero: Bool
                if case .scalar(let s) = type, s == .string || s == .bytes {
                    defaultOmitZero = true
                } else {
                    defaultOmitZero = false
                }
                let field = Field(
                    name: fieldName, type: type,
                    repeated: value["repeated"]?.boolValue ?? false,
                    inline: value["inline"]?.boolValue ?? false,
                    omitZero: value["omitZero"]?.boolValue ?? defaultOmitZero)
                if fields.count <= number { fields.append(contentsOf: repeatElement(nil, count: number + 1 - fields.count)) }
                fields[number] = field
            }
            messages.append(Message(name: name, special: special, fields: fields))
        }

        var kinds: [String: Int] = [:]
        if case .object(let entries) = table["$kinds"] {
            for (key, value) in entries {
                kinds[key] = try reference(value, in: "$kinds[\(key)]")
            }
        }
        self.messages = messages
        self.indexByName = indexByName
        self.kinds = kinds
    }

    private static func invalid(_ message: String) -> APIError {
        APIError.internalError("protobuf.json: \(message)")
    }
}
