import Foundation
import KyvernAPI

/// Visits every sub-schema of a raw `openAPIV3Schema` (properties, items, additionalProperties,
/// the logical junctors, definitions and dependencies), as upstream's `SchemaHas` does.
enum CRDSchemaWalk {
    static func any(_ s: JSONValue?, _ predicate: (JSONValue) -> Bool) -> Bool {
        guard let s, let o = s.objectValue else { return false }
        if predicate(s) { return true }
        if any(o["items"], predicate) { return true }
        for item in o["items"]?.arrayValue ?? [] where any(item, predicate) { return true }
        for junctor in ["allOf", "anyOf", "oneOf"] {
            for branch in o[junctor]?.arrayValue ?? [] where any(branch, predicate) { return true }
        }
        if any(o["not"], predicate) { return true }
        for map in ["properties", "patternProperties", "definitions", "dependencies"] {
            for (_, sub) in o[map]?.objectValue ?? [:] where any(sub, predicate) { return true }
        }
        if any(o["additionalProperties"], predicate) || any(o["additionalItems"], predicate) { return true }
        return false
    }
}

/// Upstream's per-node checks of a CRD schema (`ValidateCustomResourceDefinitionOpenAPISchema` and
/// its OpenAPI v3 standard validator): forbidden keywords, mutually exclusive ones, the
/// `x-kubernetes-*` combinations, list and map types, and the static parts of validation rules.
struct CRDSchemaRules {
    var allowDefaults = true
    var disallowDefaultsReason = ""
    var insideResourceMeta = false
    var requireValidPropertyType = true
    var requireAtomicSetType = true
    var requireMapListKeysMapSetValidation = true

    static let allowedReasons = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"]

    func forbiddingDefaults(_ reason: String) -> CRDSchemaRules {
        var copy = self
        copy.allowDefaults = false
        copy.disallowDefaultsReason = reason
        return copy
    }

    func validate(_ schema: JSONValue?, path: String, isRoot: Bool) -> [APIError.Cause] {
        guard let schema, let o = schema.objectValue else { return [] }
        func at(_ name: String) -> String { path + "." + name }
        var causes = standard(o, path: path)
        if o["uniqueItems"]?.boolValue == true {
            causes.append(.forbidden(at("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
        }
        let properties = o["properties"]?.objectValue ?? [:]
        if let additional = o["additionalProperties"], !additional.isNull {
            if !properties.isEmpty && (additional.boolValue == false || additional.objectValue != nil) {
                causes.append(.forbidden(at("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
            }
            let sub = insideResourceMeta ? forbiddingDefaults("inside additionalProperties applying to object metadata") : self
            causes += sub.validate(additional.objectValue == nil ? nil : additional, path: at("additionalProperties"), isRoot: false)
        }
        let embedded = o["x-kubernetes-embedded-resource"]?.boolValue == true
        for name in properties.keys.sorted() {
            var sub = self
            if (isRoot || embedded) && ["metadata", "kind", "apiVersion"].contains(name) {
                sub.insideResourceMeta = true
                if isRoot { sub = sub.forbiddingDefaults("in top-level \(name)") }
            }
            causes += sub.validate(properties[name], path: at("properties[\(name)]"), isRoot: false)
        }
        causes += validate(o["not"], path: at("not"), isRoot: false)
        for junctor in ["allOf", "oneOf", "anyOf"] {
            for (i, branch) in (o[junctor]?.arrayValue ?? []).enumerated() {
                causes += validate(branch, path: at("\(junctor)[\(i)]"), isRoot: false)
            }
        }
        for name in (o["definitions"]?.objectValue ?? [:]).keys.sorted() {
            causes += validate(o["definitions"]?[name], path: at("definitions[\(name)]"), isRoot: false)
        }
        if let items = o["items"] {
            if items.objectValue != nil {
                causes += validate(items, path: at("items"), isRoot: false)
            } else if let list = items.arrayValue {
                for (i, item) in list.enumerated() { causes += validate(item, path: at("items[\(i)]"), isRoot: false) }
            }
        }
        for name in (o["dependencies"]?.objectValue ?? [:]).keys.sorted() {
            let dependency = o["dependencies"]?[name]
            if dependency?.objectValue != nil {
                causes += validate(dependency, path: at("dependencies[\(name)]"), isRoot: false)
            }
        }
        causes += extensions(o, path: path)
        if requireMapListKeysMapSetValidation { causes += Self.mapListKeysMapSet(schema, path: path) }
        causes += validationRules(o, path: path)
        return causes
    }

    /// The OpenAPI v3 standard checks of one node.
    func standard(_ o: [String: JSONValue], path: String) -> [APIError.Cause] {
        func at(_ name: String) -> String { path + "." + name }
        var causes: [APIError.Cause] = []
        let type = o["type"]?.stringValue ?? ""
        if requireValidPropertyType && !type.isEmpty && !CustomResourceDefinitionValidation.openAPIV3Types.contains(type) {
            causes.append(.notSupported(at("type"), .string(type), supported: CustomResourceDefinitionValidation.openAPIV3Types))
        }
        if let d = o["default"], !d.isNull, !allowDefaults {
            causes.append(.forbidden(at("default"), disallowDefaultsReason.isEmpty ? "must not be set" : "must not be set " + disallowDefaultsReason))
        }
        if let id = o["id"]?.stringValue, !id.isEmpty { causes.append(.forbidden(at("id"), "id is not supported")) }
        if let a = o["additionalItems"], !a.isNull {
            causes.append(.forbidden(at("additionalItems"), "additionalItems is not supported"))
        }
        if let p = o["patternProperties"]?.objectValue, !p.isEmpty {
            causes.append(.forbidden(at("patternProperties"), "patternProperties is not supported"))
        }
        if let d = o["definitions"]?.objectValue, !d.isEmpty {
            causes.append(.forbidden(at("definitions"), "definitions is not supported"))
        }
        if let d = o["dependencies"], !d.isNull {
            causes.append(.forbidden(at("dependencies"), "dependencies is not supported"))
        }
        if let r = o["$ref"], !r.isNull { causes.append(.forbidden(at("$ref"), "$ref is not supported")) }
        if type == "null" {
            causes.append(.forbidden(at("type"), "type cannot be set to null, use nullable as an alternative"))
        }
        if o["items"]?.arrayValue != nil {
            causes.append(.forbidden(at("items"), "items must be a schema object and not an array"))
        }
        if insideResourceMeta && o["x-kubernetes-embedded-resource"]?.boolValue == true {
            causes.append(.forbidden(at("x-kubernetes-embedded-resource"), "must not be used inside of resource meta"))
        }
        return causes
    }

    /// `x-kubernetes-preserve-unknown-fields`, map and list types and list-map keys.
    func extensions(_ o: [String: JSONValue], path: String) -> [APIError.Cause] {
        func at(_ name: String) -> String { path + "." + name }
        var causes: [APIError.Cause] = []
        let type = o["type"]?.stringValue ?? ""
        if o["x-kubernetes-preserve-unknown-fields"]?.boolValue == false {
            causes.append(.invalid(at("x-kubernetes-preserve-unknown-fields"), .bool(false), "must be true or undefined"))
        }
        let mapType = o["x-kubernetes-map-type"]?.stringValue
        if mapType != nil && type != "object" {
            if type.isEmpty {
                causes.append(.required(at("type"), "must be object if x-kubernetes-map-type is specified"))
            } else {
                causes.append(.invalid(at("type"), .string(type), "must be object if x-kubernetes-map-type is specified"))
            }
        }
        if let mapType, mapType != "atomic", mapType != "granular" {
            causes.append(.notSupported(at("x-kubernetes-map-type"), .string(mapType), supported: ["atomic", "granular"]))
        }
        let listType = o["x-kubernetes-list-type"]?.stringValue
        let items = o["items"].flatMap { $0.objectValue == nil ? nil : $0 }
        if listType != nil && type != "array" {
            if type.isEmpty {
                causes.append(.required(at("type"), "must be array if x-kubernetes-list-type is specified"))
            } else {
                causes.append(.invalid(at("type"), .string(type), "must be array if x-kubernetes-list-type is specified"))
            }
        } else if requireAtomicSetType, listType == "set", let items {
            switch items["type"]?.stringValue ?? "" {
            case "array":
                if let inner = items["x-kubernetes-list-type"]?.stringValue, inner != "atomic" {
                    causes.append(.invalid(at("items.x-kubernetes-list-type"), .string(inner),
                                           "must be atomic as item of a list with x-kubernetes-list-type=set"))
                }
            case "object":
                if items["x-kubernetes-map-type"]?.stringValue != "atomic" {
                    causes.append(.invalid(at("items.x-kubernetes-map-type"), items["x-kubernetes-list-type"] ?? .null,
                                           "must be atomic as item of a list with x-kubernetes-list-type=set"))
                }
            default:
                break
            }
        }
        if let listType, !["atomic", "set", "map"].contains(listType) {
            causes.append(.notSupported(at("x-kubernetes-list-type"), .string(listType), supported: ["atomic", "set", "map"]))
        }
        let keys = (o["x-kubernetes-list-map-keys"]?.arrayValue ?? []).compactMap(\.stringValue)
        let renderedKeys = GoValueRendering.stringSlice(o["x-kubernetes-list-map-keys"])
        if !keys.isEmpty {
            if listType == nil {
                causes.append(.required(at("x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"))
            } else if listType != "map" {
                causes.append(.invalid(at("x-kubernetes-list-type"), .string(listType!), "must be map if x-kubernetes-list-map-keys is non-empty"))
            }
        }
        if listType == "map" {
            if keys.isEmpty {
                causes.append(.required(at("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"))
            }
            if o["items"] == nil || o["items"] == .null {
                causes.append(.required(at("items"), "must have a schema if x-kubernetes-list-type is map"))
            }
            if let list = o["items"], list.arrayValue != nil {
                causes.append(.invalid(at("items"), list, "must only have a single schema if x-kubernetes-list-type is map"))
            }
            if let items {
                let itemType = items["type"]?.stringValue ?? ""
                if itemType != "object" {
                    causes.append(.invalid(at("items.type"), .string(itemType), "must be object if parent array's x-kubernetes-list-type is map"))
                } else {
                    var seen: Set<String> = []
                    let itemProperties = items["properties"]?.objectValue ?? [:]
                    for key in keys {
                        if let p = itemProperties[key] {
                            let t = p["type"]?.stringValue ?? ""
                            if t == "array" || t == "object" {
                                causes.append(.invalid(at("items.properties[\(key)].type"), .string(itemType),
                                                       "must be a scalar type if parent array's x-kubernetes-list-type is map"))
                            }
                        } else {
                            causes.append(.invalid(at("x-kubernetes-list-map-keys"), rendered: renderedKeys,
                                                   "entries must all be names of item properties"))
                        }
                        if !seen.insert(key).inserted {
                            causes.append(.invalid(at("x-kubernetes-list-map-keys"), rendered: renderedKeys,
                                                   "must not contain duplicate entries"))
                        }
                    }
                }
            }
        }
        return causes
    }

    /// Items of set and map lists may not be nullable, and map keys must be required or defaulted.
    static func mapListKeysMapSet(_ schema: JSONValue, path: String) -> [APIError.Cause] {
        guard let items = schema["items"], items.objectValue != nil,
              let listType = schema["x-kubernetes-list-type"]?.stringValue, listType == "set" || listType == "map"
        else { return [] }
        func at(_ name: String) -> String { path.isEmpty ? name : path + "." + name }
        var causes: [APIError.Cause] = []
        if items["nullable"]?.boolValue == true {
            causes.append(.forbidden(at("items.nullable"), "cannot be nullable when x-kubernetes-list-type is " + listType))
        }
        if listType == "map" {
            let required = Set((items["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            let properties = items["properties"]?.objectValue ?? [:]
            for key in (schema["x-kubernetes-list-map-keys"]?.arrayValue ?? []).compactMap(\.stringValue) {
                guard let p = properties[key] else { continue }
                if !required.contains(key) && (p["default"] == nil || p["default"] == .null) {
                    causes.append(.required(at("items.properties[\(key)].default"),
                                            "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
                }
                if p["nullable"]?.boolValue == true {
                    causes.append(.forbidden(at("items.properties[\(key)].nullable"),
                                             "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"))
                }
            }
        }
        return causes
    }

    static func hasNonAtomicSetType(_ schema: JSONValue) -> Bool {
        guard schema["x-kubernetes-list-type"]?.stringValue == "set", let items = schema["items"],
              items.objectValue != nil else { return false }
        switch items["type"]?.stringValue ?? "" {
        case "array": return (items["x-kubernetes-list-type"]?.stringValue).map { $0 != "atomic" } ?? false
        case "object": return items["x-kubernetes-map-type"]?.stringValue != "atomic"
        default: return false
        }
    }

    /// The checks of `x-kubernetes-validations` that need no CEL: a rule, single-line messages,
    /// a known reason, a usable fieldPath. Compiling the rules is `CustomResourceRules`' job.
    func validationRules(_ o: [String: JSONValue], path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for (i, rule) in (o["x-kubernetes-validations"]?.arrayValue ?? []).enumerated() {
            let base = "\(path).x-kubernetes-validations[\(i)]"
            let text = rule["rule"]?.stringValue ?? ""
            let message = rule["message"]?.stringValue ?? ""
            let messageExpression = rule["messageExpression"]?.stringValue ?? ""
            let trimmedRule = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let trimmedMessage = message.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmedRule.isEmpty {
                causes.append(.required(base + ".rule", "rule is not specified"))
            } else if !message.isEmpty && trimmedMessage.isEmpty {
                causes.append(.invalid(base + ".message", .string(message), "must be non-empty if specified"))
            } else if Self.hasNewlines(trimmedMessage) {
                causes.append(.invalid(base + ".message", .string(message), "must not contain line breaks"))
            } else if Self.hasNewlines(trimmedRule) && trimmedMessage.isEmpty {
                causes.append(.required(base + ".message", "message must be specified if rule contains line breaks"))
            }
            if !messageExpression.isEmpty && messageExpression.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                causes.append(.required(base + ".messageExpression", "messageExpression must be non-empty if specified"))
            }
            if let reason = rule["reason"]?.stringValue, !Self.allowedReasons.contains(reason) {
                causes.append(.notSupported(base + ".reason", .string(reason), supported: Self.allowedReasons))
            }
            let fieldPath = rule["fieldPath"]?.stringValue ?? ""
            if !fieldPath.isEmpty && fieldPath.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                causes.append(.invalid(base + ".fieldPath", .string(fieldPath), "must be non-empty if specified"))
            }
            if Self.hasNewlines(fieldPath) {
                causes.append(.invalid(base + ".fieldPath", .string(fieldPath), "must not contain line breaks"))
            }
            if !fieldPath.isEmpty && !CRDRuleFieldPath.isValid(fieldPath, in: .object(o)) {
                causes.append(.invalid(base + ".fieldPath", .string(fieldPath), "must be a valid path"))
            }
        }
        return causes
    }

    static func hasNewlines(_ s: String) -> Bool { s.contains("\n") || s.contains("\r") }
}

/// A validation rule's `fieldPath` (`.spec.replicas`, `.spec.ports['http']`, `.spec.list[0]`),
/// resolved against the schema it is declared on.
enum CRDRuleFieldPath {
    static func isValid(_ path: String, in schema: JSONValue) -> Bool {
        var current: JSONValue? = schema
        var rest = Substring(path)
        guard !rest.isEmpty else { return false }
        while !rest.isEmpty {
            guard let node = current else { return false }
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { return false }
                rest = rest.dropFirst(name.count)
                current = member(node, String(name))
            } else if rest.hasPrefix("['") {
                rest = rest.dropFirst(2)
                guard let end = rest.range(of: "']") else { return false }
                let name = String(rest[..<end.lowerBound])
                rest = rest[end.upperBound...]
                current = member(node, name)
            } else if rest.hasPrefix("[") {
                rest = rest.dropFirst()
                let digits = rest.prefix { $0.isNumber }
                guard !digits.isEmpty, rest.dropFirst(digits.count).hasPrefix("]") else { return false }
                rest = rest.dropFirst(digits.count + 1)
                guard node["type"]?.stringValue == "array" else { return false }
                current = node["items"]
            } else {
                return false
            }
        }
        return current != nil
    }

    static func member(_ node: JSONValue, _ name: String) -> JSONValue? {
        if let p = node["properties"]?[name] { return p }
        if let a = node["additionalProperties"], a.objectValue != nil { return a }
        return nil
    }
}
