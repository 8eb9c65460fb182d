public import KyvernAPI

/// Keeps pods off nodes whose NoSchedule/NoExecute taints they do not tolerate, and prefers
/// nodes with fewer untolerated PreferNoSchedule taints.
public struct TaintToleration: PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
    public let name = "TaintToleration"
    public init() {}

    static let stateKey = "PreScoreTaintToleration"
    static let filterKey = "PreFilterTaintToleration"

    /// Parses the pod's tolerations once instead of on every tainted node.
    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        state.write(Self.filterKey, Toleration.of(pod: pod))
        return .success
    }

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        if node.taints.isEmpty { return .success }
        let tolerations = state.read(Self.filterKey, as: [Toleration].self) ?? Toleration.of(pod: pod)
        for taint in node.taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !tolerations.tolerate(taint) {
                return .unresolvable("node(s) had untolerated taint {\(taint.key): \(taint.value)}")
            }
        }
        return .success
    }

    /// Only tolerations that can apply to PreferNoSchedule matter for scoring.
    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let relevant = Toleration.of(pod: pod).filter { $0.effect.isEmpty || $0.effect == "PreferNoSchedule" }
        state.write(Self.stateKey, relevant)
        return .success
    }

    /// The number of untolerated PreferNoSchedule taints (reversed by normalization).
    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        if node.taints.isEmpty { return 0 }
        let tolerations = state.read(Self.stateKey, as: [Toleration].self) ?? Toleration.of(pod: pod)
        return Int64(node.taints.count { $0.effect == "PreferNoSchedule" && !tolerations.tolerate($0) })
    }

    public func normalizeScores(state: CycleState, pod: JSONValue, scores: inout [NodeScore]) {
        defaultNormalizeScore(maxNodeScore, reverse: true, scores: &scores)
    }
}
