import Foundation
import Yams

extension AuditPolicy {
    static let apiVersion = "audit.k8s.io/v1"
    static let kind = "Policy"

    /// Reads a policy file (YAML or JSON).
    package static func load(path: String) throws -> AuditPolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditPolicyError(field: "", "cannot read audit policy file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AuditPolicyError(field: "", "audit policy file \(path) is not UTF-8 text")
        }
        return try parse(text)
    }

    /// Parses and validates a policy (YAML, of which JSON is a subset).
    package static func parse(_ text: String) throws -> AuditPolicy {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw AuditPolicyError(field: "", "failed decoding audit policy: \(error)")
        }
        guard let root = document as? [String: Any] else {
            throw AuditPolicyError(field: "", "failed decoding audit policy: expected a Policy object")
        }
        let apiVersion = root["apiVersion"] as? String ?? ""
        guard apiVersion == Self.apiVersion else {
            throw AuditPolicyError(field: "apiVersion", "Unsupported value: \"\(apiVersion)\": supported values: \"\(Self.apiVersion)\"")
        }
        let kind = root["kind"] as? String ?? ""
        guard kind == Self.kind else {
            throw AuditPolicyError(field: "kind", "Unsupported value: \"\(kind)\": supported values: \"\(Self.kind)\"")
        }
        let rawRules = try list(root["rules"], field: "rules")
        guard !rawRules.isEmpty else {
            throw AuditPolicyError(field: "rules", "Required value: loaded illegal policy with 0 rules")
        }
        var rules: [AuditPolicyRule] = []
        for (index, raw) in rawRules.enumerated() {
            let field = "rules[\(index)]"
            guard let object = raw as? [String: Any] else {
                throw AuditPolicyError(field: field, "Invalid value: expected an object")
            }
            rules.append(try rule(object, field: field))
        }
        let omitManagedFields: Bool
        switch root["omitManagedFields"] {
        case nil: omitManagedFields = false
        case let value as Bool: omitManagedFields = value
        default: throw AuditPolicyError(field: "omitManagedFields", "Invalid value: expected true or false")
        }
        return AuditPolicy(rules: rules, omitStages: try stages(root["omitStages"], field: "omitStages"),
                           omitManagedFields: omitManagedFields)
    }

    private static func rule(_ object: [String: Any], field: String) throws -> AuditPolicyRule {
        let levelText = object["level"] as? String ?? ""
        guard !levelText.isEmpty else { throw AuditPolicyError(field: "\(field).level", "Required value") }
        guard let level = AuditLevel(rawValue: levelText) else {
            throw AuditPolicyError(field: "\(field).level", "Unsupported value: \"\(levelText)\": supported values: "
                + AuditLevel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        var rule = AuditPolicyRule(level: level)
        rule.users = try strings(object["users"], field: "\(field).users")
        rule.userGroups = try strings(object["userGroups"], field: "\(field).userGroups")
        rule.verbs = try strings(object["verbs"], field: "\(field).verbs")
        rule.namespaces = try strings(object["namespaces"], field: "\(field).namespaces")
        rule.nonResourceURLs = try strings(object["nonResourceURLs"], field: "\(field).nonResourceURLs")
        rule.omitStages = try stages(object["omitStages"], field: "\(field).omitStages")
        for (index, raw) in try list(object["resources"], field: "\(field).resources").enumerated() {
            let entryField = "\(field).resources[\(index)]"
            guard let entry = raw as? [String: Any] else {
                throw AuditPolicyError(field: entryField, "Invalid value: expected an object with group and resources")
            }
            let group = entry["group"] as? String ?? ""
            guard !group.contains("/") else {
                throw AuditPolicyError(field: "\(entryField).group", "Invalid value: \"\(group)\": group name must not contain '/'")
            }
            let resources = try strings(entry["resources"], field: "\(entryField).resources")
            let names = try strings(entry["resourceNames"], field: "\(entryField).resourceNames")
            if !names.isEmpty, resources.isEmpty {
                throw AuditPolicyError(field: "\(entryField).resourceNames",
                                       "Invalid value: \(quoted(names)): using resourceNames requires at least one resource")
            }
            rule.resources.append(AuditGroupResources(group: group, resources: resources, resourceNames: names))
        }
        if !rule.nonResourceURLs.isEmpty, !rule.resources.isEmpty || !rule.namespaces.isEmpty {
            throw AuditPolicyError(field: "\(field).nonResourceURLs", "Invalid value: \(quoted(rule.nonResourceURLs)): "
                + "rules cannot apply to both regular resources and non-resource URLs")
        }
        for (index, url) in rule.nonResourceURLs.enumerated() {
            let urlField = "\(field).nonResourceURLs[\(index)]"
            if url.isEmpty { throw AuditPolicyError(field: urlField, "Required value") }
            if url != "*", !url.hasPrefix("/") {
                throw AuditPolicyError(field: urlField, "Invalid value: \"\(url)\": non-resource URL rules must begin with a '/' character")
            }
            if url.dropLast().contains("*") {
                throw AuditPolicyError(field: urlField, "Invalid value: \"\(url)\": non-resource URL wildcards '*' must be the final character of the rule")
            }
        }
        return rule
    }

    private static func list(_ raw: Any?, field: String) throws -> [Any] {
        guard let raw else { return [] }
        guard let list = raw as? [Any] else { throw AuditPolicyError(field: field, "Invalid value: expected a list") }
        return list
    }

    private static func strings(_ raw: Any?, field: String) throws -> [String] {
        try list(raw, field: field).enumerated().map { index, item in
            guard let text = item as? String else {
                throw AuditPolicyError(field: "\(field)[\(index)]", "Invalid value: expected a string")
            }
            return text
        }
    }

    private static func stages(_ raw: Any?, field: String) throws -> [AuditStage] {
        try strings(raw, field: field).enumerated().map { index, text in
            guard let stage = AuditStage(rawValue: text) else {
                throw AuditPolicyError(field: "\(field)[\(index)]", "Unsupported value: \"\(text)\": supported values: "
                    + AuditStage.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
            return stage
        }
    }

    private static func quoted(_ values: [String]) -> String {
        "[]string{" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
    }
}
