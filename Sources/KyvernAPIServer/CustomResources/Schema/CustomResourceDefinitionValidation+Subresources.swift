import KyvernAPI

extension CustomResourceDefinitionValidation {
    static func validateSubresources(_ subresources: JSONValue?, path: String) -> [APIError.Cause] {
        guard let scale = subresources?["scale"], !scale.isNull else { return [] }
        var causes: [APIError.Cause] = []
        let specPath = scale["specReplicasPath"]?.stringValue ?? ""
        if specPath.isEmpty {
            causes.append(.required(path + ".scale.specReplicasPath"))
        } else {
            let errors = simpleJSONPath(specPath, field: path + ".scale.specReplicasPath")
            if !errors.isEmpty {
                causes += errors
            } else if !specPath.hasPrefix(".spec.") {
                causes.append(.invalid(path + ".scale.specReplicasPath", .string(specPath), "should be a json path under .spec"))
            }
        }
        let statusPath = scale["statusReplicasPath"]?.stringValue ?? ""
        if statusPath.isEmpty {
            causes.append(.required(path + ".scale.statusReplicasPath"))
        } else {
            let errors = simpleJSONPath(statusPath, field: path + ".scale.statusReplicasPath")
            if !errors.isEmpty {
                causes += errors
            } else if !statusPath.hasPrefix(".status.") {
                causes.append(.invalid(path + ".scale.statusReplicasPath", .string(statusPath), "should be a json path under .status"))
            }
        }
        if let selector = scale["labelSelectorPath"]?.stringValue, !selector.isEmpty {
            let errors = simpleJSONPath(selector, field: path + ".scale.labelSelectorPath")
            if !errors.isEmpty {
                causes += errors
            } else if !selector.hasPrefix(".spec.") && !selector.hasPrefix(".status.") {
                causes.append(.invalid(path + ".scale.labelSelectorPath", .string(selector),
                                       "should be a json path under either .spec or .status"))
            }
        }
        return causes
    }

    static func simpleJSONPath(_ s: String, field: String) -> [APIError.Cause] {
        if s.isEmpty { return [.invalid(field, .string(s), "must not be empty")] }
        if !s.hasPrefix(".") { return [.invalid(field, .string(s), "must be a simple json path starting with .")] }
        return []
    }

    static func validateColumn(_ column: JSONValue, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let name = column["name"]?.stringValue ?? ""
        let type = column["type"]?.stringValue ?? ""
        let format = column["format"]?.stringValue ?? ""
        let jsonPath = column["jsonPath"]?.stringValue ?? ""
        if name.isEmpty { causes.append(.required(path + ".name")) }
        let typeDetail = "must be one of " + printerColumnTypes.joined(separator: ",")
        if type.isEmpty {
            causes.append(.required(path + ".type", typeDetail))
        } else if !printerColumnTypes.contains(type) {
            causes.append(.invalid(path + ".type", .string(type), typeDetail))
        }
        if !format.isEmpty && !printerColumnFormats.contains(format) {
            causes.append(.invalid(path + ".format", .string(format), "must be one of " + printerColumnFormats.joined(separator: ",")))
        }
        if jsonPath.isEmpty {
            causes.append(.required(path + ".JSONPath"))
        } else {
            causes += simpleJSONPath(jsonPath, field: path + ".JSONPath")
        }
        return causes
    }

    static let maxSelectableFields = 8

    /// `selectableFields`: each a `.`-path to a string, boolean or integer field outside metadata,
    /// no duplicates, at most eight.
    static func validateSelectableFields(_ fields: [JSONValue], schema: JSONValue?, path: String) -> [APIError.Cause] {
        guard let schema else {
            let detail = path.hasPrefix("spec.versions")
                ? "may only be set when `version.schema.openAPIV3Schema` is not included"
                : "may only be set when validations.schema is included"
            return [.invalid(path, .string(""), detail)]
        }
        var causes: [APIError.Cause] = []
        var unique: [String] = []
        for (i, field) in fields.enumerated() {
            let fieldPath = "\(path)[\(i)].jsonPath"
            let jsonPath = field["jsonPath"]?.stringValue ?? ""
            if jsonPath.isEmpty {
                causes.append(.required(fieldPath))
                continue
            }
            guard jsonPath.hasPrefix("."), !jsonPath.contains("["),
                  let target = resolveDotted(jsonPath, in: schema) else {
                causes.append(.invalid(fieldPath, .string(jsonPath), "is an invalid path: does not refer to a valid field"))
                continue
            }
            if jsonPath.hasPrefix(".metadata.") || jsonPath == ".metadata" {
                causes.append(.invalid(fieldPath, .string(jsonPath), "must not point to fields in metadata"))
            }
            if !["string", "boolean", "integer"].contains(target["type"]?.stringValue ?? "") {
                causes.append(.invalid(fieldPath, .string(jsonPath),
                    "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."))
            }
            if unique.contains(jsonPath) {
                causes.append(.duplicate(fieldPath, .string(jsonPath)))
            } else {
                unique.append(jsonPath)
            }
        }
        if unique.count > maxSelectableFields {
            causes.append(.schemaTooMany(path, actual: Int64(unique.count), max: Int64(maxSelectableFields)))
        }
        return causes
    }

    static func resolveDotted(_ path: String, in schema: JSONValue) -> JSONValue? {
        var node: JSONValue? = schema
        for name in path.dropFirst().split(separator: ".", omittingEmptySubsequences: false) {
            guard !name.isEmpty, let current = node else { return nil }
            node = CRDRuleFieldPath.member(current, String(name))
        }
        return node
    }
}
