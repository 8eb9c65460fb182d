import KyvernAPI

extension CustomResourceSchema {
    /// Validates a (pruned and defaulted) custom resource as upstream's strategy does before storage:
    /// the OpenAPI schema, then embedded resources' `apiVersion`/`kind`/`metadata`, then the uniqueness
    /// of `x-kubernetes-list-type: set/map` lists.
    ///
    /// On update, pass the stored object as `old`: schema problems in values left unchanged are
    /// not reported (upstream's validation ratcheting), so tightening a CRD's schema does not
    /// block updates of objects that were valid before.
    ///
    /// The root's `metadata` (name, namespace, labels, ...), the scale subresource's paths and
    /// `x-kubernetes-validations` rules are checked by their own code, as upstream does.
    func validate(_ object: JSONValue, old: JSONValue? = nil) -> [APIError.Cause] {
        let outcome = CustomResourceSchemaValidator.validate(object, root, path: "", old: old)
        var causes = CustomResourceSchemaValidator.causes(outcome.failures)
        if root.hasEmbeddedResource { causes += CustomResourceEmbeddedValidation.validate(object, root, path: "") }
        if root.hasSetOrMapList { causes += CustomResourceListTypeValidation.validateMembers(object, root, path: "") }
        return causes
    }
}

/// Upstream's checks of resources embedded in a custom resource (`x-kubernetes-embedded-resource`):
/// `apiVersion` and `kind` are required and well formed, and `metadata` is valid ObjectMeta whose
/// name, if any, is a path segment.
enum CustomResourceEmbeddedValidation {
    static func validate(_ value: JSONValue, _ schema: StructuralSchemaNode?, path: String) -> [APIError.Cause] {
        guard let schema, schema.hasEmbeddedResource else { return [] }
        var causes: [APIError.Cause] = []
        switch value {
        case .object(let members):
            if schema.embeddedResource && !path.isEmpty {
                causes += validateResource(members, path: path)
            }
            for key in members.keys.sorted() {
                if let property = schema.properties[key] {
                    causes += validate(members[key]!, property, path: join(path, key))
                } else if let additional = schema.additionalProperties?.schema {
                    causes += validate(members[key]!, additional, path: "\(path)[\(key)]")
                }
            }
        case .array(let elements):
            for (i, element) in elements.enumerated() {
                causes += validate(element, schema.items, path: "\(path)[\(i)]")
            }
        default:
            break
        }
        return causes
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    static func validateResource(_ x: [String: JSONValue], path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        if x["apiVersion"] == nil { causes.append(.required(join(path, "apiVersion"), "must not be empty")) }
        if x["kind"] == nil { causes.append(.required(join(path, "kind"), "must not be empty")) }
        if let v = x["apiVersion"] {
            let field = join(path, "apiVersion")
            if let apiVersion = v.stringValue {
                if apiVersion.isEmpty {
                    causes.append(.schemaInvalid(field, v, "must not be empty"))
                } else if apiVersion != "/" && apiVersion.filter({ $0 == "/" }).count > 1 {
                    causes.append(.schemaInvalid(field, v, "unexpected GroupVersion string: \(apiVersion)"))
                }
            } else {
                causes.append(.schemaInvalid(field, v, "must be a string"))
            }
        }
        if let v = x["kind"] {
            let field = join(path, "kind")
            if let kind = v.stringValue {
                if kind.isEmpty {
                    causes.append(.schemaInvalid(field, v, "must not be empty"))
                } else {
                    let errors = NameValidation.isDNS1035Label(kind.lowercased())
                    if !errors.isEmpty {
                        causes.append(.schemaInvalid(field, v,
                            "may have mixed case, but should otherwise match: " + errors.joined(separator: ",")))
                    }
                }
            } else {
                causes.append(.schemaInvalid(field, v, "must be a string"))
            }
        }
        if let meta = x["metadata"] {
            let field = join(path, "metadata")
            if let problem = decodeProblem(meta) {
                causes.append(.schemaInvalid(field, meta, problem))
            } else {
                var m = meta.isNull ? JSONValue.object([:]) : meta
                let name = m["name"]?.stringValue ?? ""
                if name.isEmpty { m["name"] = "fakename" }
                let namespaced = !(m["namespace"]?.stringValue ?? "").isEmpty
                causes += validateObjectMeta(m, namespaced: namespaced, nameRule: .pathSegment, fieldPath: field)
            }
        }
        return causes
    }

    /// Why Go's JSON decoder would refuse `metadata` as ObjectMeta, worded as its error.
    static func decodeProblem(_ meta: JSONValue) -> String? {
        switch meta {
        case .null: return nil
        case .object(let members):
            for key in ["name", "generateName", "namespace", "uid", "resourceVersion", "selfLink"] {
                if let v = members[key], !v.isNull, v.stringValue == nil {
                    return "json: cannot unmarshal \(v.jsonTypeName) into Go struct field ObjectMeta.\(key) of type string"
                }
            }
            for key in ["labels", "annotations"] {
                guard let v = members[key], !v.isNull else { continue }
                guard let map = v.objectValue else {
                    return "json: cannot unmarshal \(v.jsonTypeName) into Go struct field ObjectMeta.\(key) of type map[string]string"
                }
                for (_, entry) in map where !entry.isNull && entry.stringValue == nil {
                    return "json: cannot unmarshal \(entry.jsonTypeName) into Go struct field ObjectMeta.\(key) of type string"
                }
            }
            return nil
        default:
            return "json: cannot unmarshal \(meta.jsonTypeName) into Go value of type v1.ObjectMeta"
        }
    }
}

/// Upstream's `ValidateListSetsAndMaps`: items of a `set` list are unique, items of a `map` list are
/// objects unique by their `x-kubernetes-list-map-keys` (a missing key reads as its default).
enum CustomResourceListTypeValidation {
    static func validateMembers(_ value: JSONValue, _ schema: StructuralSchemaNode?, path: String) -> [APIError.Cause] {
        guard let schema, schema.hasSetOrMapList, case .object(let members) = value else { return [] }
        var causes: [APIError.Cause] = []
        let keys = members.keys.sorted()
        if let additional = schema.additionalProperties?.schema {
            for key in keys where schema.properties[key] == nil {
                causes += validateValue(members[key]!, additional, path: "\(path)[\(key)]")
            }
        }
        for key in keys {
            if let property = schema.properties[key] {
                causes += validateValue(members[key]!, property, path: path.isEmpty ? key : path + "." + key)
            }
        }
        return causes
    }

    static func validateValue(_ value: JSONValue, _ schema: StructuralSchemaNode, path: String) -> [APIError.Cause] {
        guard schema.hasSetOrMapList else { return [] }
        switch value {
        case .array(let elements): return validateArray(elements, schema, path: path)
        case .object: return validateMembers(value, schema, path: path)
        default: return []
        }
    }

    static func validateArray(_ elements: [JSONValue], _ schema: StructuralSchemaNode, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        switch schema.listType {
        case "set"?:
            for i in firstRepeats(elements.map { $0 }) {
                causes.append(.schemaDuplicate("\(path)[\(i)]", elements[i]))
            }
        case "map"?:
            causes += validateListMap(elements, schema, path: path)
        default:
            break
        }
        if let items = schema.items {
            for (i, element) in elements.enumerated() {
                causes += validateValue(element, items, path: "\(path)[\(i)]")
            }
        }
        return causes
    }

    /// The indices where a value appears for the second time (later repeats are not reported again).
    static func firstRepeats(_ keys: [JSONValue]) -> [Int] {
        guard keys.count > 1 else { return [] }
        var seen: [JSONValue: Int] = [:]
        var indices: [Int] = []
        for (i, key) in keys.enumerated() {
            let times = seen[key, default: 0]
            seen[key] = times + 1
            if times == 1 { indices.append(i) }
        }
        return indices
    }

    static func validateListMap(_ elements: [JSONValue], _ schema: StructuralSchemaNode, path: String) -> [APIError.Cause] {
        for (i, element) in elements.enumerated() where !element.isNull && element.objectValue == nil {
            return [.schemaInvalid("\(path)[\(i)]", element, "must be an object for an array of list-type map")]
        }
        guard elements.count > 1 else { return [] }
        let keyFields = schema.listMapKeys
        /// A key that is absent and has no default differs from an explicit null.
        let unspecified = JSONValue.string("\u{0}unspecified")
        let keys: [JSONValue] = elements.map { element in
            var key: [JSONValue] = []
            for field in keyFields {
                if let v = element[field] {
                    key.append(v)
                } else if let d = schema.items?.properties[field]?.defaultValue {
                    key.append(d)
                } else {
                    key.append(unspecified)
                }
            }
            return .array(key)
        }
        return firstRepeats(keys).map { i in
            var shown: [String: JSONValue] = [:]
            for field in keyFields { shown[field] = elements[i][field] ?? .null }
            return .schemaDuplicate("\(path)[\(i)]", .object(shown))
        }
    }
}
