import KyvernAPI

/// The structural schema of one version of a custom resource, applied as upstream applies it to
/// every object it decodes: unknown fields pruned, defaults filled in, then the OpenAPI validation.
///
/// The input is a CRD's `openAPIV3Schema` that already passed `CustomResourceDefinitionValidation`;
/// it is read once here so each request only walks the parsed tree. Upstream's order on a write is
/// `prune` (its paths become `unknown field "<path>"` for `fieldValidation=Strict`/`Warn`), then
/// `applyDefaults`, then `validate` (with the stored object as `old` on update); objects read back
/// from storage are pruned and defaulted again, without the unknown-field report.
struct CustomResourceSchema: Sendable {
    let root: StructuralSchemaNode

    init(openAPIV3Schema: JSONValue) {
        root = StructuralSchemaNode(openAPIV3Schema)
    }
}

// MARK: - Pruning

extension CustomResourceSchema {
    /// Drops every field the schema does not specify (keeping `apiVersion`, `kind` and `metadata` at the
    /// root and in embedded resources), drops nulls the schema neither allows nor defaults, and trims
    /// `metadata` (the root's and embedded resources') to ObjectMeta's fields, as upstream's decoder does.
    ///
    /// - Returns: the paths of the dropped unknown fields (`spec.foo`, `spec.list[0].bar`), sorted, which
    ///   `fieldValidation=Strict` refuses and `Warn` reports as `unknown field "<path>"`.
    func prune(_ object: inout JSONValue) -> [String] {
        var rootMetadataUnknown: [String] = []
        if case .object(var meta)? = object["metadata"], Self.isDecodableObjectMeta(meta) {
            Self.trimObjectMeta(&meta, path: "metadata", unknown: &rootMetadataUnknown)
            object["metadata"] = .object(meta)
        }
        var unknown: [String] = []
        Self.prune(&object, root, embedded: true, path: "", unknown: &unknown)
        unknown.sort()
        Self.dropNonNullableNulls(&object, root)
        var metadataUnknown: [String] = []
        if root.hasEmbeddedResource {
            Self.coerceEmbeddedMetadata(&object, root, path: "", isRoot: true, unknown: &metadataUnknown)
        }
        return rootMetadataUnknown.sorted() + unknown + metadataUnknown.sorted()
    }

    static let metaFields: Set<String> = ["apiVersion", "kind", "metadata"]

    /// Only the structural pruning (no null or metadata handling), as upstream checks that defaults are pruned.
    static func pruneUnknownFields(_ value: inout JSONValue, _ schema: StructuralSchemaNode, isResourceRoot: Bool) {
        var unknown: [String] = []
        prune(&value, schema, embedded: isResourceRoot || schema.embeddedResource, path: "", unknown: &unknown)
    }

    private static func child(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    /// Upstream's structural pruning: a node without schema loses all its members; one with
    /// `x-kubernetes-preserve-unknown-fields` keeps them but still prunes below known ones.
    private static func prune(_ value: inout JSONValue, _ schema: StructuralSchemaNode?, embedded: Bool, path: String,
                              unknown: inout [String]) {
        if let schema, schema.preserveUnknownFields {
            skipPrune(&value, schema, embedded: embedded, path: path, unknown: &unknown)
            return
        }
        switch value {
        case .object(var members):
            value = .null
            guard let schema else {
                for key in members.keys { unknown.append(child(path, key)) }
                value = .object([:])
                return
            }
            for key in Array(members.keys) {
                if embedded && metaFields.contains(key) { continue }
                if let property = schema.properties[key] {
                    prune(&members[key]!, property, embedded: property.embeddedResource, path: child(path, key),
                          unknown: &unknown)
                } else if let additional = schema.additionalProperties {
                    let sub = additional.schema
                    prune(&members[key]!, sub, embedded: sub?.embeddedResource ?? false, path: child(path, key),
                          unknown: &unknown)
                } else {
                    unknown.append(child(path, key))
                    members.removeValue(forKey: key)
                }
            }
            value = .object(members)
        case .array(var elements):
            value = .null
            let items = schema?.items
            for i in elements.indices {
                prune(&elements[i], items, embedded: items?.embeddedResource ?? false, path: "\(path)[\(i)]",
                      unknown: &unknown)
            }
            value = .array(elements)
        default:
            return
        }
    }

    private static func skipPrune(_ value: inout JSONValue, _ schema: StructuralSchemaNode, embedded: Bool, path: String,
                                  unknown: inout [String]) {
        switch value {
        case .object(var members):
            value = .null
            for key in Array(members.keys) {
                if embedded && metaFields.contains(key) { continue }
                if let property = schema.properties[key] {
                    prune(&members[key]!, property, embedded: property.embeddedResource, path: child(path, key),
                          unknown: &unknown)
                } else if let additional = schema.additionalProperties {
                    let sub = additional.schema
                    prune(&members[key]!, sub, embedded: sub?.embeddedResource ?? false, path: child(path, key),
                          unknown: &unknown)
                }
            }
            value = .object(members)
        case .array(var elements):
            value = .null
            if let items = schema.items {
                for i in elements.indices {
                    skipPrune(&elements[i], items, embedded: items.embeddedResource, path: "\(path)[\(i)]",
                              unknown: &unknown)
                }
            }
            value = .array(elements)
        default:
            return
        }
    }

    /// Upstream's `PruneNonNullableNullsWithoutDefaults`: a null member whose schema is neither
    /// nullable nor defaulted is removed (one with a default is left for defaulting to fill).
    private static func dropNonNullableNulls(_ value: inout JSONValue, _ schema: StructuralSchemaNode?) {
        switch value {
        case .object(var members):
            value = .null
            for key in Array(members.keys) {
                let sub = schema?.schema(forMember: key)
                if members[key] == .null, let sub, !sub.nullable, sub.defaultValue == nil {
                    members.removeValue(forKey: key)
                } else {
                    dropNonNullableNulls(&members[key]!, sub)
                }
            }
            value = .object(members)
        case .array(var elements):
            value = .null
            for i in elements.indices { dropNonNullableNulls(&elements[i], schema?.items) }
            value = .array(elements)
        default:
            return
        }
    }

    /// The members of `metadata` that ObjectMeta has; upstream decodes an embedded resource's metadata
    /// into ObjectMeta and writes it back, so others disappear.
    static let objectMetaFields: Set<String> = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
        "ownerReferences", "finalizers", "managedFields",
    ]

    /// Trims the `metadata` of embedded resources (not the root's, which the server handles) to
    /// ObjectMeta's fields, dropping what Go's `omitempty` would not write back.
    private static func coerceEmbeddedMetadata(_ value: inout JSONValue, _ schema: StructuralSchemaNode?, path: String,
                                               isRoot: Bool, unknown: inout [String]) {
        guard let schema, schema.hasEmbeddedResource else { return }
        switch value {
        case .object(var members):
            value = .null
            if schema.embeddedResource && !isRoot, case .object(var meta)? = members["metadata"],
               isDecodableObjectMeta(meta) {
                trimObjectMeta(&meta, path: child(path, "metadata"), unknown: &unknown)
                members["metadata"] = .object(meta)
            }
            for key in Array(members.keys) {
                if let sub = schema.schema(forMember: key) {
                    coerceEmbeddedMetadata(&members[key]!, sub, path: child(path, key), isRoot: false,
                                           unknown: &unknown)
                }
            }
            value = .object(members)
        case .array(var elements):
            value = .null
            for i in elements.indices {
                coerceEmbeddedMetadata(&elements[i], schema.items, path: "\(path)[\(i)]", isRoot: false,
                                       unknown: &unknown)
            }
            value = .array(elements)
        default:
            return
        }
    }

    /// What decoding `metadata` into ObjectMeta and writing it back leaves: its known fields,
    /// without the empty ones Go's `omitempty` drops.
    static func trimObjectMeta(_ meta: inout [String: JSONValue], path: String, unknown: inout [String]) {
        for key in Array(meta.keys) {
            if !objectMetaFields.contains(key) {
                unknown.append(child(path, key))
                meta.removeValue(forKey: key)
            } else if isOmittedEmpty(meta[key]!) && (key == "generation" || meta[key]?.intValue == nil) {
                // `deletionGracePeriodSeconds` is a pointer in Go: a zero there is kept.
                meta.removeValue(forKey: key)
            }
        }
    }

    /// Metadata whose string fields hold strings; anything else upstream refuses to decode and
    /// leaves for validation to report.
    static func isDecodableObjectMeta(_ meta: [String: JSONValue]) -> Bool {
        for key in ["name", "generateName", "namespace", "uid", "resourceVersion", "selfLink"] {
            if let v = meta[key], v.stringValue == nil, !v.isNull { return false }
        }
        for key in ["labels", "annotations"] {
            if let v = meta[key], !v.isNull {
                guard let map = v.objectValue, map.values.allSatisfy({ $0.stringValue != nil || $0.isNull }) else {
                    return false
                }
            }
        }
        return true
    }

    private static func isOmittedEmpty(_ v: JSONValue) -> Bool {
        switch v {
        case .null: true
        case .string(let s): s.isEmpty
        case .object(let o): o.isEmpty
        case .array(let a): a.isEmpty
        case .int(let i): i == 0
        default: false
        }
    }
}

// MARK: - Defaulting

extension CustomResourceSchema {
    /// Fills in `default`s as upstream's structural defaulting does: an absent member (or a null one
    /// its schema does not allow) takes its property's default, then defaulting goes on inside every
    /// member, list item and `additionalProperties` value, including what was just defaulted.
    func applyDefaults(_ object: inout JSONValue) {
        Self.applyDefaults(&object, root)
    }

    private static func applyDefaults(_ value: inout JSONValue, _ schema: StructuralSchemaNode?) {
        guard let schema else { return }
        switch value {
        case .object(var members):
            value = .null
            for name in schema.propertyNames {
                let property = schema.properties[name]!
                guard let defaultValue = property.defaultValue else { continue }
                if let current = members[name], !(current.isNull && !property.nullable) { continue }
                members[name] = defaultValue
            }
            for key in Array(members.keys) {
                if let property = schema.properties[key] {
                    applyDefaults(&members[key]!, property)
                } else if let additional = schema.additionalProperties?.schema {
                    if members[key] == .null && !additional.nullable {
                        members[key] = additional.defaultValue ?? .null
                    }
                    applyDefaults(&members[key]!, additional)
                }
            }
            value = .object(members)
        case .array(var elements):
            value = .null
            if let items = schema.items {
                for i in elements.indices {
                    if elements[i] == .null && !items.nullable { elements[i] = items.defaultValue ?? .null }
                    applyDefaults(&elements[i], items)
                }
            }
            value = .array(elements)
        default:
            return
        }
    }
}
