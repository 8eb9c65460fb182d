/// Upstream's escalation check: whether the rules a user holds cover every permission of some
/// requested rules, each requested rule broken down to one verb, group, resource and name.
enum RuleCoverage {
    /// The requested rules (broken down) that no owner rule covers; empty when all are covered.
    static func uncovered(owner: [PolicyRule], requested: [PolicyRule]) -> [PolicyRule] {
        var missing: [PolicyRule] = []
        for rule in requested {
            for atom in breakdown(rule) where !owner.contains(where: { covers($0, atom) }) {
                missing.append(atom)
            }
        }
        return missing
    }

    static func breakdown(_ rule: PolicyRule) -> [PolicyRule] {
        var atoms: [PolicyRule] = []
        for verb in rule.verbs {
            for group in rule.apiGroups {
                for resource in rule.resources {
                    if rule.resourceNames.isEmpty {
                        atoms.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource]))
                    } else {
                        for name in rule.resourceNames {
                            atoms.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name]))
                        }
                    }
                }
            }
            for url in rule.nonResourceURLs {
                atoms.append(PolicyRule(verbs: [verb], nonResourceURLs: [url]))
            }
        }
        return atoms
    }

    /// Whether `owner` holds everything `atom` (one of each) grants.
    static func covers(_ owner: PolicyRule, _ atom: PolicyRule) -> Bool {
        guard let verb = atom.verbs.first, owner.verbs.contains("*") || owner.verbs.contains(verb) else { return false }
        if let url = atom.nonResourceURLs.first {
            return owner.nonResourceURLs.contains { owned in
                owned == "*" || owned == url || (owned.hasSuffix("*") && url.hasPrefix(owned.dropLast()))
            }
        }
        guard let group = atom.apiGroups.first, let resource = atom.resources.first else { return false }
        guard owner.apiGroups.contains("*") || owner.apiGroups.contains(group) else { return false }
        let resourceCovered = owner.resources.contains { owned in
            if owned == "*" || owned == resource { return true }
            if owned.hasPrefix("*/"), let slash = resource.firstIndex(of: "/") {
                return resource[resource.index(after: slash)...] == owned.dropFirst(2)
            }
            return false
        }
        guard resourceCovered else { return false }
        if owner.resourceNames.isEmpty { return true }
        guard let name = atom.resourceNames.first else { return false }
        return owner.resourceNames.contains(name)
    }

    /// A rule as upstream prints it in the escalation message: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
    static func describe(_ rule: PolicyRule) -> String {
        func list(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: " ") + "]" }
        var parts: [String] = []
        if !rule.apiGroups.isEmpty { parts.append("APIGroups:\(list(rule.apiGroups))") }
        if !rule.resources.isEmpty { parts.append("Resources:\(list(rule.resources))") }
        if !rule.resourceNames.isEmpty { parts.append("ResourceNames:\(list(rule.resourceNames))") }
        if !rule.nonResourceURLs.isEmpty { parts.append("NonResourceURLs:\(list(rule.nonResourceURLs))") }
        parts.append("Verbs:\(list(rule.verbs))")
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
