import KyvernAPI
import Synchronization

/// How structured merge treats a value, from the schema's `listType`, `listMapKeys` and `mapType`
/// (upstream's schema conversion): granular structs and maps merge field by field, list maps item by
/// key, sets item by value; atomic values are owned and replaced whole. Values the schema does not
/// describe are "deduced": objects granular, lists atomic.
enum TypeShape: Sendable {
    case structure(properties: [String: JSONValue])
    case map(values: JSONValue?)
    case list(items: JSONValue?, kind: ListKind)
    case atomic
    case scalar
    case deduced

    enum ListKind: Equatable, Sendable {
        case set
        case map(keys: [String])
    }
}

/// Resolves schema entries of `SchemaSet` into `TypeShape`s.
struct TypeShapes: Sendable {
    let schemas: SchemaSet

    func shape(_ type: JSONValue?) -> TypeShape {
        guard let type else { return .deduced }
        // A plain reference (the common case: every struct field) resolves the same way each
        // time, so it is resolved once per referenced type.
        if case .object(let fields) = type, fields.count == 1, let ref = fields["ref"]?.stringValue {
            if let cached = schemas.shapes.withLock({ $0[ref] }) { return cached }
            let resolved = resolve(type)
            schemas.shapes.withLock { $0[ref] = resolved }
            return resolved
        }
        return resolve(type)
    }

    private func resolve(_ type: JSONValue) -> TypeShape {
        var type = type
        var atomic = type["mapType"]?.stringValue == "atomic"
        if let ref = type["ref"]?.stringValue {
            guard let definition = schemas.definitions[ref] else { return .deduced }
            type = definition
            atomic = atomic || definition["mapType"]?.stringValue == "atomic"
        }
        if type["preserveUnknownFields"]?.boolValue == true { return .deduced }
        switch type["type"]?.stringValue ?? "object" {
        case "object":
            guard let properties = type["properties"]?.objectValue else { return .deduced }
            return atomic ? .atomic : .structure(properties: properties)
        case "map":
            return atomic ? .atomic : .map(values: type["values"])
        case "array":
            switch type["listType"]?.stringValue {
            case "set":
                return .list(items: type["items"], kind: .set)
            case "map":
                let keys = type["listMapKeys"]?.arrayValue?.compactMap(\.stringValue) ?? []
                return .list(items: type["items"], kind: .map(keys: keys))
            case nil:
                // Lists without a declared type merge as their strategic-merge metadata says.
                guard (type["patchStrategy"]?.stringValue ?? "").contains("merge") else { return .atomic }
                if let key = type["patchMergeKey"]?.stringValue {
                    return .list(items: type["items"], kind: .map(keys: [key]))
                }
                return .list(items: type["items"], kind: .set)
            default:
                return .atomic
            }
        default:
            return .scalar
        }
    }

    /// The schema of `key` in a granular struct or map; nil (deduced) for an unknown field.
    func child(_ key: String, of shape: TypeShape) -> JSONValue? {
        switch shape {
        case .structure(let properties): properties[key]
        case .map(let values): values
        default: nil
        }
    }

    /// Defaults of list-map key fields an item may omit (upstream's types declare `protocol` of
    /// container and service ports as defaulting to TCP), so that `{containerPort: 80}` and the stored,
    /// defaulted `{containerPort: 80, protocol: TCP}` are the same item.
    static let keyDefaults: [String: JSONValue] = ["protocol": "TCP"]

    /// The element naming `item` in a list of kind `kind`; nil when it has no key.
    static func element(of item: JSONValue, kind: TypeShape.ListKind?) -> PathElement? {
        switch kind {
        case .set:
            return .value(item)
        case .map(let keys):
            guard case .object(let object) = item else { return nil }
            var fields: [PathElement.KeyField] = []
            for key in keys.sorted() {
                guard let value = object[key] ?? keyDefaults[key] else { continue }
                fields.append(.init(name: key, value: value))
            }
            return .key(fields)
        case nil:
            return nil
        }
    }
}
