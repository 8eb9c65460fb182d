import KyvernAPI

/// Upstream's `ValidateDefaults`: every `default` (outside resource metadata) must already be
/// pruned and must validate against the schema it sits on, embedded resources included.
/// Defaults under `additionalProperties` are not followed, as upstream does not follow them.
enum CRDSchemaDefaultsValidation {
    static func validate(_ schema: JSONValue, path: String, requirePruned: Bool) -> [APIError.Cause] {
        walk(schema, path: path, isResourceRoot: true, insideMeta: false, requirePruned: requirePruned)
    }

    static func walk(_ s: JSONValue, path: String, isResourceRoot: Bool, insideMeta: Bool,
                     requirePruned: Bool) -> [APIError.Cause] {
        guard s.objectValue != nil else { return [] }
        var causes: [APIError.Cause] = []
        let embedded = isResourceRoot || s["x-kubernetes-embedded-resource"]?.boolValue == true
        let insideMeta = embedded ? false : insideMeta
        if let value = s["default"], !value.isNull, !insideMeta {
            let node = StructuralSchemaNode(s)
            let field = path + ".default"
            var pruned = value
            CustomResourceSchema.pruneUnknownFields(&pruned, node, isResourceRoot: node.embeddedResource)
            if requirePruned && pruned != value {
                causes.append(.schemaInvalid(field, value, "must not have unknown fields"))
            }
            var embeddedCauses: [APIError.Cause] = []
            if node.embeddedResource, let members = value.objectValue {
                embeddedCauses += CustomResourceEmbeddedValidation.validateResource(members, path: field)
            }
            embeddedCauses += nestedEmbedded(value, node, path: field)
            if !embeddedCauses.isEmpty {
                causes += embeddedCauses
            } else {
                let outcome = CustomResourceSchemaValidator.validate(value, node, path: "")
                causes += CustomResourceSchemaValidator.causes(outcome.failures, fieldPrefix: field)
            }
        }
        if let items = s["items"], items.objectValue != nil {
            causes += walk(items, path: path + ".items", isResourceRoot: false, insideMeta: insideMeta, requirePruned: requirePruned)
        }
        let properties = s["properties"]?.objectValue ?? [:]
        for name in properties.keys.sorted() {
            let meta = embedded && ["metadata", "apiVersion", "kind"].contains(name)
            causes += walk(properties[name]!, path: path + ".properties[\(name)]", isResourceRoot: false,
                           insideMeta: insideMeta || meta, requirePruned: requirePruned)
        }
        return causes
    }

    /// Embedded resources below the defaulted node, checked as in a custom resource.
    static func nestedEmbedded(_ value: JSONValue, _ node: StructuralSchemaNode, path: String) -> [APIError.Cause] {
        guard case .object(let members) = value else { return [] }
        var causes: [APIError.Cause] = []
        for key in members.keys.sorted() {
            if let property = node.properties[key] {
                causes += CustomResourceEmbeddedValidation.validate(members[key]!, property, path: path + "." + key)
            } else if let additional = node.additionalProperties?.schema {
                causes += CustomResourceEmbeddedValidation.validate(members[key]!, additional, path: "\(path)[\(key)]")
            }
        }
        return causes
    }

    /// Whether a stored schema has a default that pruning would change (then updates may keep it).
    static func hasUnprunedDefaults(_ schema: JSONValue) -> Bool {
        guard CRDSchemaWalk.any(schema, { $0["default"] != nil }),
              StructuralSchemaValidation.validate(schema, path: "").isEmpty else { return false }
        return !validate(schema, path: "", requirePruned: true).filter { $0.message.hasSuffix("must not have unknown fields") }.isEmpty
    }
}
