public import KyvernAPI

/// Applies `spec.nodeSelector` and required node affinity as a filter, and scores nodes by the
/// summed weights of the preferred terms they match.
public struct NodeAffinity: PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
    public static let reason = "node(s) didn't match Pod's node affinity/selector"
    public let name = "NodeAffinity"
    public init() {}

    /// The pod's parsed constraints, computed once per cycle.
    struct Required: Sendable {
        var selector: [String: String]
        /// nil when the pod has no required affinity (distinct from an empty, unmatchable list).
        var terms: [NodeSelectorTerm]?

        /// Upstream's `RequiredNodeAffinity.Match`: the selector and any of the terms.
        func matches(_ node: NodeInfo) -> Bool {
            for (key, value) in selector where node.labels[key] != value { return false }
            if let terms, !terms.contains(where: { $0.matches(node) }) { return false }
            return true
        }
    }

    static let filterKey = "PreFilterNodeAffinity"
    static let scoreKey = "PreScoreNodeAffinity"

    static func required(_ pod: JSONValue) -> Required {
        let selector = (pod[path: ["spec", "nodeSelector"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let required = pod[path: ["spec", "affinity", "nodeAffinity",
                                  "requiredDuringSchedulingIgnoredDuringExecution"]]
        let terms = required.map { ($0["nodeSelectorTerms"]?.arrayValue ?? []).map(NodeSelectorTerm.init(json:)) }
        return Required(selector: selector, terms: terms)
    }

    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let required = Self.required(pod)
        if required.selector.isEmpty && required.terms == nil { return Status(.skip) }
        state.write(Self.filterKey, required)
        return .success
    }

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let required = state.read(Self.filterKey, as: Required.self) ?? Self.required(pod)
        return required.matches(node) ? .success : .unresolvable(Self.reason)
    }

    /// Preferred terms with a zero weight are dropped, as upstream.
    static func preferred(_ pod: JSONValue) -> [(weight: Int64, term: NodeSelectorTerm)] {
        let entries = pod[path: ["spec", "affinity", "nodeAffinity",
                                 "preferredDuringSchedulingIgnoredDuringExecution"]]?.arrayValue ?? []
        return entries.compactMap { entry in
            guard let weight = entry["weight"]?.intValue, weight != 0 else { return nil }
            return (weight, NodeSelectorTerm(json: entry["preference"] ?? .object([:])))
        }
    }

    struct Preferred: Sendable {
        var terms: [(weight: Int64, term: NodeSelectorTerm)]
    }

    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let terms = Self.preferred(pod)
        if terms.isEmpty { return Status(.skip) }
        state.write(Self.scoreKey, Preferred(terms: terms))
        return .success
    }

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        let terms = state.read(Self.scoreKey, as: Preferred.self)?.terms ?? Self.preferred(pod)
        return terms.reduce(0) { $0 + ($1.term.matches(node) ? $1.weight : 0) }
    }

    public func normalizeScores(state: CycleState, pod: JSONValue, scores: inout [NodeScore]) {
        defaultNormalizeScore(maxNodeScore, reverse: false, scores: &scores)
    }
}
