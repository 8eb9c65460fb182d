import KyvernAPI

/// Upstream's structural-schema rules (`ValidateStructural`), over a raw `openAPIV3Schema`:
/// every specified node has a type (except int-or-string and preserve-unknown-fields nodes),
/// value validations (`allOf`/`anyOf`/`oneOf`/`not`) only restrict what the structure already
/// specifies, `metadata` at the root restricts only name and generateName, and embedded
/// resources are objects. Causes are sorted by their text, as upstream sorts them.
enum StructuralSchemaValidation {
    enum Level { case root, item, field }

    static func validate(_ schema: JSONValue, path: String) -> [APIError.Cause] {
        var causes = invariants(schema, level: .root, path: path)
        causes += completeness(schema, path: path)
        return causes.sorted { $0.fieldError < $1.fieldError }
    }

    static func child(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }

    static func isTrue(_ v: JSONValue?) -> Bool { v?.boolValue == true }

    // MARK: invariants

    static func invariants(_ s: JSONValue, level: Level, path: String) -> [APIError.Cause] {
        guard s.objectValue != nil else { return [] }
        var causes: [APIError.Cause] = []
        let type = s["type"]?.stringValue ?? ""
        let embedded = isTrue(s["x-kubernetes-embedded-resource"])
        let intOrString = isTrue(s["x-kubernetes-int-or-string"])
        let preserve = isTrue(s["x-kubernetes-preserve-unknown-fields"])

        if type == "array" && (s["items"] == nil || s["items"] == .null) {
            causes.append(.required(child(path, "items"), "must be specified"))
        }
        if let items = s["items"], items.objectValue != nil {
            causes += invariants(items, level: .item, path: child(path, "items"))
        }
        let properties = s["properties"]?.objectValue ?? [:]
        for name in properties.keys.sorted() {
            causes += invariants(properties[name]!, level: .field, path: child(path, "properties[\(name)]"))
        }
        let additional = s["additionalProperties"].flatMap { $0.isNull ? nil : $0 }
        if let additional {
            if level == .root {
                causes.append(.forbidden(child(path, "additionalProperties"), "must not be used at the root"))
            }
            if additional.objectValue != nil {
                causes += invariants(additional, level: .field, path: child(path, "additionalProperties"))
            }
        }

        if intOrString && preserve {
            causes.append(.invalid(child(path, "x-kubernetes-preserve-unknown-fields"), .bool(true),
                                   "must be false if x-kubernetes-int-or-string is true"))
        }
        if intOrString && embedded {
            causes.append(.invalid(child(path, "x-kubernetes-embedded-resource"), .bool(true),
                                   "must be false if x-kubernetes-int-or-string is true"))
        }

        causes += valueValidation(s, skipAnyOf: isIntOrStringAnyOf(s), skipFirstAllOfAnyOf: isIntOrStringAllOf(s),
                                  level: level, path: path)

        let checkMetadata = level == .root || embedded
        if embedded && type != "object" {
            if type.isEmpty {
                causes.append(.required(child(path, "type"), "must be object if x-kubernetes-embedded-resource is true"))
            } else {
                causes.append(.invalid(child(path, "type"), .string(type), "must be object if x-kubernetes-embedded-resource is true"))
            }
        } else if type.isEmpty && !embedded && !intOrString && !preserve {
            switch level {
            case .root: causes.append(.required(child(path, "type"), "must not be empty at the root"))
            case .item: causes.append(.required(child(path, "type"), "must not be empty for specified array items"))
            case .field: causes.append(.required(child(path, "type"), "must not be empty for specified object fields"))
            }
        }
        if embedded && additional != nil {
            causes.append(.forbidden(child(path, "additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"))
        }
        if level == .root && !type.isEmpty && type != "object" {
            causes.append(.invalid(child(path, "type"), .string(type), "must be object at the root"))
        }
        if checkMetadata {
            for name in ["kind", "apiVersion"] {
                if let p = properties[name] {
                    let t = p["type"]?.stringValue ?? ""
                    if t != "string" {
                        causes.append(.invalid(child(path, "properties[\(name)].type"), .string(t), "must be string"))
                    }
                }
            }
        }
        if let metadata = properties["metadata"] {
            let metaPath = child(path, "properties[metadata]")
            let t = metadata["type"]?.stringValue ?? ""
            if checkMetadata && t != "object" {
                causes.append(.invalid(child(metaPath, "type"), .string(t), "must be object"))
            }
            if level == .root && !onlyRestrictsNames(metadata) {
                causes.append(.forbidden(metaPath, "must not specify anything other than name and generateName, but metadata is implicitly specified"))
            }
        }
        if embedded && !preserve && properties.isEmpty {
            causes.append(.required(child(path, "properties"),
                                    "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
        }
        return causes
    }

    /// Root `metadata` may only say it is an object and restrict `name` and `generateName`.
    static func onlyRestrictsNames(_ metadata: JSONValue) -> Bool {
        for (key, value) in metadata.objectValue ?? [:] {
            switch key {
            case "type", "default":
                continue
            case "properties":
                let names = Set((value.objectValue ?? [:]).keys)
                if !names.isSubset(of: ["name", "generateName"]) { return false }
            default:
                return false
            }
        }
        return true
    }

    static let intOrStringBranches: [JSONValue] = [["type": "integer"], ["type": "string"]]

    static func isIntOrStringAnyOf(_ s: JSONValue) -> Bool {
        s["anyOf"]?.arrayValue == intOrStringBranches
    }

    static func isIntOrStringAllOf(_ s: JSONValue) -> Bool {
        guard let first = s["allOf"]?.arrayValue?.first else { return false }
        return first["anyOf"]?.arrayValue == intOrStringBranches
    }

    static func valueValidation(_ v: JSONValue, skipAnyOf: Bool, skipFirstAllOfAnyOf: Bool, level: Level,
                                path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        if !skipAnyOf {
            for (i, branch) in (v["anyOf"]?.arrayValue ?? []).enumerated() {
                causes += nested(branch, skipAnyOf: false, level: level, path: child(path, "anyOf[\(i)]"))
            }
        }
        for (i, branch) in (v["allOf"]?.arrayValue ?? []).enumerated() {
            causes += nested(branch, skipAnyOf: skipFirstAllOfAnyOf && i == 0, level: level, path: child(path, "allOf[\(i)]"))
        }
        for (i, branch) in (v["oneOf"]?.arrayValue ?? []).enumerated() {
            causes += nested(branch, skipAnyOf: false, level: level, path: child(path, "oneOf[\(i)]"))
        }
        if let not = v["not"], not.objectValue != nil {
            causes += nested(not, skipAnyOf: false, level: level, path: child(path, "not"))
        }
        if let pattern = v["pattern"]?.stringValue, !pattern.isEmpty, let problem = CRDPatternSyntax.problem(pattern) {
            causes.append(.invalid(child(path, "pattern"), .string(pattern), "must be a valid regular expression, but isn't: \(problem)"))
        }
        return causes
    }

    /// A schema under a logical junctor: it may only restrict values, never add structure.
    static func nested(_ v: JSONValue, skipAnyOf: Bool, level: Level, path: String) -> [APIError.Cause] {
        guard v.objectValue != nil else { return [] }
        var causes = valueValidation(v, skipAnyOf: skipAnyOf, skipFirstAllOfAnyOf: false, level: level, path: path)
        if let items = v["items"], items.objectValue != nil {
            causes += nested(items, skipAnyOf: false, level: level, path: child(path, "items"))
        }
        let properties = v["properties"]?.objectValue ?? [:]
        for name in properties.keys.sorted() {
            causes += nested(properties[name]!, skipAnyOf: false, level: .field, path: child(path, "properties[\(name)]"))
        }
        if let type = v["type"]?.stringValue, !type.isEmpty {
            causes.append(.forbidden(child(path, "type"), "must be empty to be structural"))
        }
        if let a = v["additionalProperties"], !a.isNull {
            causes.append(.forbidden(child(path, "additionalProperties"), "must be undefined to be structural"))
        }
        if let d = v["default"], !d.isNull {
            causes.append(.forbidden(child(path, "default"), "must be undefined to be structural"))
        }
        if let t = v["title"]?.stringValue, !t.isEmpty {
            causes.append(.forbidden(child(path, "title"), "must be empty to be structural"))
        }
        if let d = v["description"]?.stringValue, !d.isEmpty {
            causes.append(.forbidden(child(path, "description"), "must be empty to be structural"))
        }
        if isTrue(v["nullable"]) {
            causes.append(.forbidden(child(path, "nullable"), "must be false to be structural"))
        }
        if isTrue(v["x-kubernetes-preserve-unknown-fields"]) {
            causes.append(.forbidden(child(path, "x-kubernetes-preserve-unknown-fields"), "must be false to be structural"))
        }
        if isTrue(v["x-kubernetes-embedded-resource"]) {
            causes.append(.forbidden(child(path, "x-kubernetes-embedded-resource"), "must be false to be structural"))
        }
        if isTrue(v["x-kubernetes-int-or-string"]) {
            causes.append(.forbidden(child(path, "x-kubernetes-int-or-string"), "must be false to be structural"))
        }
        if let keys = v["x-kubernetes-list-map-keys"]?.arrayValue, !keys.isEmpty {
            causes.append(.forbidden(child(path, "x-kubernetes-list-map-keys"), "must be empty to be structural"))
        }
        if let t = v["x-kubernetes-list-type"], !t.isNull {
            causes.append(.forbidden(child(path, "x-kubernetes-list-type"), "must be undefined to be structural"))
        }
        if let t = v["x-kubernetes-map-type"], !t.isNull {
            causes.append(.forbidden(child(path, "x-kubernetes-map-type"), "must be undefined to be structural"))
        }
        if let rules = v["x-kubernetes-validations"]?.arrayValue, !rules.isEmpty {
            causes.append(.forbidden(child(path, "x-kubernetes-validations"), "must be empty to be structural"))
        }
        if properties["metadata"] != nil {
            causes.append(.forbidden(child(path, "properties[metadata]"), "must not be specified in a nested context"))
        }
        return causes
    }

    // MARK: completeness

    /// Every property or items a value validation mentions must also be specified structurally.
    static func completeness(_ s: JSONValue, path: String) -> [APIError.Cause] {
        guard s.objectValue != nil else { return [] }
        var causes = junctorCompleteness(s, s, sPath: path, vPath: path)
        let properties = s["properties"]?.objectValue ?? [:]
        for name in properties.keys.sorted() {
            causes += completeness(properties[name]!, path: child(path, "properties[\(name)]"))
        }
        if let items = s["items"], items.objectValue != nil {
            causes += completeness(items, path: child(path, "items"))
        }
        if let additional = s["additionalProperties"], additional.objectValue != nil {
            causes += completeness(additional, path: child(path, "additionalProperties"))
        }
        return causes
    }

    static func junctorCompleteness(_ v: JSONValue, _ s: JSONValue?, sPath: String, vPath: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        if let not = v["not"], not.objectValue != nil {
            causes += nestedCompleteness(not, s, sPath: sPath, vPath: child(vPath, "not"))
        }
        for junctor in ["allOf", "anyOf", "oneOf"] {
            for (i, branch) in (v[junctor]?.arrayValue ?? []).enumerated() {
                causes += nestedCompleteness(branch, s, sPath: sPath, vPath: child(vPath, "\(junctor)[\(i)]"))
            }
        }
        return causes
    }

    static func nestedCompleteness(_ v: JSONValue, _ s: JSONValue?, sPath: String, vPath: String) -> [APIError.Cause] {
        guard let s, s.objectValue != nil else {
            return [.required(sPath, "because it is defined in \(vPath)")]
        }
        var causes = junctorCompleteness(v, s, sPath: sPath, vPath: vPath)
        if let items = v["items"], items.objectValue != nil {
            let sItems = s["items"].flatMap { $0.objectValue == nil ? nil : $0 }
            causes += nestedCompleteness(items, sItems, sPath: child(sPath, "items"), vPath: child(vPath, "items"))
        }
        let sProperties = s["properties"]?.objectValue ?? [:]
        let vProperties = v["properties"]?.objectValue ?? [:]
        for name in vProperties.keys.sorted() {
            let vChild = child(vPath, "properties[\(name)]")
            if let sField = sProperties[name] {
                causes += nestedCompleteness(vProperties[name]!, sField, sPath: child(sPath, "properties[\(name)]"), vPath: vChild)
            } else if let additional = s["additionalProperties"], additional.objectValue != nil {
                causes += nestedCompleteness(vProperties[name]!, additional, sPath: child(sPath, "additionalProperties"), vPath: vChild)
            } else {
                causes.append(.required(child(sPath, "properties[\(name)]"), "because it is defined in \(vChild)"))
            }
        }
        return causes
    }
}
