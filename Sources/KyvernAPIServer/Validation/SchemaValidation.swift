import KyvernAPI

/// What the structural schema says beyond types (which the decoder already checks): fields listed
/// as `required` must be present, and values of fields with an `enum` must be among them.
///
/// `metadata` is validated on its own and `status` is written by controllers, so both are skipped
/// at the top level.
struct SchemaValidation {
    let schemas: SchemaSet
    var causes: [APIError.Cause] = []

    init(schemas: SchemaSet) {
        self.schemas = schemas
    }

    static func validate(_ object: JSONValue, definition: String, schemas: SchemaSet) -> [APIError.Cause] {
        var v = SchemaValidation(schemas: schemas)
        guard let schema = schemas.definitions[definition], let properties = schema["properties"]?.objectValue,
              let members = object.objectValue else { return [] }
        let required = (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue)
        for name in required where name != "metadata" && name != "status" && isMissing(members[name])
            && checksPresence(properties[name]) {
            v.causes.append(.required(name))
        }
        for (key, member) in members.sorted(by: { $0.key < $1.key }) where key != "metadata" && key != "status" {
            if let type = properties[key] { v.walk(member, type: type, path: key) }
        }
        return v.causes
    }

    /// Upstream decodes into Go structs, where an absent list, map, number or boolean is just its zero
    /// value and its own checks (lengths, ranges) decide; only strings and objects are held to `required`.
    static func checksPresence(_ type: JSONValue?) -> Bool {
        guard let type else { return false }
        if type["ref"] != nil { return true }
        switch type["type"]?.stringValue ?? "object" {
        case "array", "map", "integer", "number", "boolean": return false
        default: return true
        }
    }

    static func isMissing(_ value: JSONValue?) -> Bool {
        value == nil || value?.isNull == true
    }

    mutating func walk(_ value: JSONValue, type: JSONValue, path: String) {
        var type = type
        if let ref = type["ref"]?.stringValue {
            guard let definition = schemas.definitions[ref] else { return }
            type = definition
        }
        if let allowed = type["enum"]?.arrayValue, !allowed.isEmpty, !value.isNull, !allowed.contains(value) {
            causes.append(.notSupported(path, value, supported: allowed.compactMap(\.stringValue)))
        }
        switch type["type"]?.stringValue ?? "object" {
        case "object":
            guard let members = value.objectValue, let properties = type["properties"]?.objectValue else { return }
            for name in (type["required"]?.arrayValue ?? []).compactMap(\.stringValue)
                where Self.isMissing(members[name]) && Self.checksPresence(properties[name]) {
                causes.append(.required("\(path).\(name)"))
            }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let memberType = properties[key] { walk(member, type: memberType, path: "\(path).\(key)") }
            }
        case "array":
            guard let items = type["items"], let elements = value.arrayValue else { return }
            for (i, element) in elements.enumerated() { walk(element, type: items, path: "\(path)[\(i)]") }
        case "map":
            guard let values = type["values"], let members = value.objectValue else { return }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) { walk(member, type: values, path: "\(path)[\(key)]") }
        default:
            return
        }
    }
}
