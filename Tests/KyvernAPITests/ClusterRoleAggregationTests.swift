import KyvernAPI
import Testing

@Suite struct ClusterRoleAggregationTests {
    func role(_ name: String, labels: [String: JSONValue] = [:], rules: [JSONValue] = [], aggregate: String? = nil) -> JSONValue {
        var role: JSONValue = ["metadata": ["name": .string(name), "labels": .object(labels)], "rules": .array(rules)]
        if let aggregate {
            role["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": [.init(aggregate): "true"]]]]
        }
        return role
    }

    @Test func rulesOfSelectedRolesInNameOrderEachOnce() {
        let get: JSONValue = ["verbs": ["get"], "apiGroups": [""], "resources": ["pods"]]
        let list: JSONValue = ["verbs": ["list"], "apiGroups": [""], "resources": ["pods"]]
        let roles = [
            role("b", labels: ["agg": "true"], rules: [get, list]),
            role("a", labels: ["agg": "true"], rules: [list]),
            role("c", rules: [["verbs": ["*"]]]),
        ]
        let aggregated = role("all", aggregate: "agg")
        #expect(ClusterRoleAggregation.rules(for: aggregated, among: roles + [aggregated]) == [list, get])
        #expect(ClusterRoleAggregation.rules(for: roles[0], among: roles) == nil)
    }
}
