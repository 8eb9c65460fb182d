import KyvernAPI

/// Upstream's TaintNodesByCondition admission step: a Node is born tainted
/// `node.kubernetes.io/not-ready:NoSchedule`, so nothing is scheduled onto it before the node
/// lifecycle controller has seen it Ready and lifted the taint (it owns the taint from then on).
enum TaintNodesByCondition {
    static let notReadyKey = "node.kubernetes.io/not-ready"

    /// Adds the taint to a Node being created, unless it already carries it.
    static func admitCreate(_ node: inout JSONValue) {
        var taints = node[path: ["spec", "taints"]]?.arrayValue ?? []
        let present = taints.contains { taint in
            taint["key"]?.stringValue == notReadyKey && taint["effect"]?.stringValue == "NoSchedule"
        }
        guard !present else { return }
        taints.append(["key": .string(notReadyKey), "effect": "NoSchedule"])
        node[path: ["spec", "taints"]] = .array(taints)
    }
}
