/// How an aggregated ClusterRole's rules are derived (upstream's clusterrole-aggregation
/// controller): the rules of every other ClusterRole one of its `aggregationRule` selectors
/// matches, in name order, each rule once.
public enum ClusterRoleAggregation {
    /// The rules `role` should hold, or nil when it is not an aggregated role.
    public static func rules(for role: JSONValue, among roles: [JSONValue]) -> [JSONValue]? {
        guard let selectors = role[path: ["aggregationRule", "clusterRoleSelectors"]]?.arrayValue else { return nil }
        let parsed = selectors.compactMap { try? LabelSelector(labelSelector: $0) }
        let name = role[path: ["metadata", "name"]]?.stringValue ?? ""
        let matching = roles
            .filter { ($0[path: ["metadata", "name"]]?.stringValue ?? "") != name }
            .filter { other in parsed.contains { !$0.isEmpty && $0.matches(labelsOf: other) } }
            .sorted { ($0[path: ["metadata", "name"]]?.stringValue ?? "") < ($1[path: ["metadata", "name"]]?.stringValue ?? "") }
        var rules: [JSONValue] = []
        for other in matching {
            for rule in other["rules"]?.arrayValue ?? [] where !rules.contains(rule) {
                rules.append(rule)
            }
        }
        return rules
    }
}
