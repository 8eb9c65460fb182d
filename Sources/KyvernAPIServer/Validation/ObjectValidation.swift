import KyvernAPI

/// Validation beyond the metadata: the schema's rules and the per-kind rules upstream applies,
/// and on update the fields that may not change.
enum ObjectValidation {
    /// The causes that make `object` invalid; `old` is the stored object on update, nil on create.
    static func validate(_ object: JSONValue, old: JSONValue?, info: ResourceInfo, schemas: SchemaSet) -> [APIError.Cause] {
        []
    }
}

extension ResourceHandler {
    /// Throws 422 Invalid naming every cause, as upstream does.
    func validateObject(_ object: JSONValue, old: JSONValue?, info: ResourceInfo) throws {
        let causes = ObjectValidation.validate(object, old: old, info: info, schemas: pruner.schemas)
        if !causes.isEmpty {
            throw APIError.invalid(group: info.group, kind: info.kind,
                                   name: object[path: ["metadata", "name"]]?.stringValue ?? "", causes: causes)
        }
    }
}
