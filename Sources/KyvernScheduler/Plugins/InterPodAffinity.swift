public import KyvernAPI

/// Pod affinity and anti-affinity: required terms filter nodes by the pods already in each
/// topology domain (both the incoming pod's terms and existing pods' required anti-affinity
/// against it), preferred terms score them, and existing pods' required affinity counts
/// `hardPodAffinityWeight` toward the domains that hold them.
///
/// Counting is done once per cycle over the whole snapshot in PreFilter/PreScore into
/// (topology key, value) tallies, so per-node work is a few label look-ups.
public struct InterPodAffinity: PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin {
    public static let affinityReason = "node(s) didn't match pod affinity rules"
    public static let antiAffinityReason = "node(s) didn't match pod anti-affinity rules"
    public static let existingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules"

    public let name = "InterPodAffinity"
    /// Weight of an existing pod's required affinity term when scoring (0...100, default 1).
    public var hardPodAffinityWeight: Int64
    /// When set, existing pods' preferred terms are not scored for pods without preferences.
    public var ignorePreferredTermsOfExistingPods: Bool

    public init(hardPodAffinityWeight: Int64 = 1, ignorePreferredTermsOfExistingPods: Bool = false) {
        self.hardPodAffinityWeight = hardPodAffinityWeight
        self.ignorePreferredTermsOfExistingPods = ignorePreferredTermsOfExistingPods
    }

    /// Upstream's `InterPodAffinityArgs`: `{"hardPodAffinityWeight": 1,
    /// "ignorePreferredTermsOfExistingPods": false}`; missing fields take their defaults.
    public init(args: JSONValue?) {
        self.init(hardPodAffinityWeight: args?["hardPodAffinityWeight"]?.intValue ?? 1,
                  ignorePreferredTermsOfExistingPods: args?["ignorePreferredTermsOfExistingPods"]?.boolValue ?? false)
    }

    struct TopologyPair: Hashable, Sendable {
        var key: String
        var value: String
    }

    /// The incoming pod as the terms of others see it.
    struct Incoming: Sendable {
        var namespace: String
        var labels: [String: String]
        var info: PodAffinityInfo
        var namespaceLabels: [String: [String: String]]

        init(pod: JSONValue, namespaceLabels: [String: [String: String]]) {
            namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
            labels = PodFacts.labels(of: pod)
            info = PodAffinityInfo(pod: pod) ?? PodAffinityInfo()
            self.namespaceLabels = namespaceLabels
        }

        /// Whether an existing pod's term selects the incoming pod.
        func isSelected(by term: AffinityTerm) -> Bool {
            term.matches(namespace: namespace, labels: labels, namespaceLabels: namespaceLabels)
        }

        /// Whether the incoming pod's term selects an existing pod.
        func selects(_ entry: NodeInfo.PodEntry, _ term: AffinityTerm) -> Bool {
            term.matches(namespace: entry.namespace, labels: entry.labels, namespaceLabels: namespaceLabels)
        }
    }

    struct FilterState: Sendable {
        var incoming: Incoming
        /// Domains holding an existing pod whose required anti-affinity selects the incoming pod.
        var existingAntiAffinity: [TopologyPair: Int] = [:]
        /// Domains holding pods that match all of the incoming pod's required affinity terms.
        var affinity: [TopologyPair: Int] = [:]
        /// Domains holding pods matched by the incoming pod's required anti-affinity terms.
        var antiAffinity: [TopologyPair: Int] = [:]

        mutating func update(with entry: NodeInfo.PodEntry, node: NodeInfo, delta: Int) {
            for term in entry.affinity?.requiredAntiAffinity ?? [] where incoming.isSelected(by: term) {
                if let value = node.labels[term.topologyKey] {
                    existingAntiAffinity[TopologyPair(key: term.topologyKey, value: value), default: 0] += delta
                }
            }
            updateOwnTerms(with: entry, node: node, delta: delta)
        }
    }

    static let filterKey = "PreFilterInterPodAffinity"
    static let scoreKey = "PreScoreInterPodAffinity"

    // MARK: PreFilter / Filter

    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let snapshot = state.snapshot ?? Snapshot(nodes: nodes)
        var filterState = FilterState(incoming: Incoming(pod: pod, namespaceLabels: snapshot.cluster.namespaceLabels))
        let withAntiAffinity = snapshot.nodesWithRequiredAntiAffinityPods
        if !filterState.incoming.info.hasRequired && withAntiAffinity.isEmpty { return Status(.skip) }

        for node in withAntiAffinity {
            for entry in node.podsWithRequiredAntiAffinity {
                for term in entry.affinity?.requiredAntiAffinity ?? [] where filterState.incoming.isSelected(by: term) {
                    if let value = node.labels[term.topologyKey] {
                        filterState.existingAntiAffinity[TopologyPair(key: term.topologyKey, value: value), default: 0] += 1
                    }
                }
            }
        }
        if filterState.incoming.info.hasRequired {
            for node in snapshot.nodes {
                for entry in node.pods.values { filterState.updateOwnTerms(with: entry, node: node, delta: 1) }
            }
        }
        state.write(Self.filterKey, filterState)
        return .success
    }

    public func addPod(state: inout CycleState, pod: JSONValue, podToAdd: NodeInfo.PodEntry, node: NodeInfo) {
        guard var filterState = state.read(Self.filterKey, as: FilterState.self) else { return }
        filterState.update(with: podToAdd, node: node, delta: 1)
        state.write(Self.filterKey, filterState)
    }

    public func removePod(state: inout CycleState, pod: JSONValue, podToRemove: NodeInfo.PodEntry, node: NodeInfo) {
        guard var filterState = state.read(Self.filterKey, as: FilterState.self) else { return }
        filterState.update(with: podToRemove, node: node, delta: -1)
        state.write(Self.filterKey, filterState)
    }

    /// Affinity is unresolvable (evicting pods cannot create a matching pod); anti-affinity
    /// conflicts may be solved by preemption.
    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        guard let filterState = state.read(Self.filterKey, as: FilterState.self) else { return .success }
        if !satisfiesAffinity(filterState, node) { return .unresolvable(Self.affinityReason) }
        for term in filterState.incoming.info.requiredAntiAffinity {
            if let value = node.labels[term.topologyKey],
               filterState.antiAffinity[TopologyPair(key: term.topologyKey, value: value), default: 0] > 0 {
                return .unschedulable(Self.antiAffinityReason)
            }
        }
        if !filterState.existingAntiAffinity.isEmpty {
            for (key, value) in node.labels
            where filterState.existingAntiAffinity[TopologyPair(key: key, value: value), default: 0] > 0 {
                return .unschedulable(Self.existingAntiAffinityReason)
            }
        }
        return .success
    }

    /// Every term's topology key must be on the node and its domain must hold a matching pod —
    /// unless no pod anywhere matches and the pod matches its own terms: then it may be the first
    /// of a group that wants to be together.
    func satisfiesAffinity(_ filterState: FilterState, _ node: NodeInfo) -> Bool {
        let terms = filterState.incoming.info.requiredAffinity
        var podsExist = true
        for term in terms {
            guard let value = node.labels[term.topologyKey] else { return false }
            if filterState.affinity[TopologyPair(key: term.topologyKey, value: value), default: 0] <= 0 {
                podsExist = false
            }
        }
        if podsExist { return true }
        let incoming = filterState.incoming
        return filterState.affinity.values.allSatisfy { $0 <= 0 }
            && terms.allSatisfy { incoming.isSelected(by: $0) }
    }

    // MARK: PreScore / Score

    struct ScoreState: Sendable {
        /// Score per topology key and value.
        var topology: [String: [String: Int64]] = [:]

        mutating func add(_ term: AffinityTerm, weight: Int64, node: NodeInfo, matches: Bool) {
            guard matches, let value = node.labels[term.topologyKey] else { return }
            topology[term.topologyKey, default: [:]][value, default: 0] += weight
        }
    }

    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let snapshot = state.snapshot ?? Snapshot(nodes: nodes)
        let incoming = Incoming(pod: pod, namespaceLabels: snapshot.cluster.namespaceLabels)
        let hasConstraints = incoming.info.hasPreferred
        if ignorePreferredTermsOfExistingPods && !hasConstraints { return Status(.skip) }
        let candidates = hasConstraints ? snapshot.nodes : snapshot.nodesWithAffinityPods
        var scoreState = ScoreState()
        for node in candidates where !node.labels.isEmpty {
            let entries = hasConstraints ? Array(node.pods.values) : node.podsWithAffinity
            for entry in entries {
                process(existing: entry, node: node, incoming: incoming, into: &scoreState)
            }
        }
        if scoreState.topology.isEmpty { return Status(.skip) }
        state.write(Self.scoreKey, scoreState)
        return .success
    }

    /// Upstream's `processExistingPod`: the incoming pod's preferences toward the existing pod,
    /// and the existing pod's required affinity and preferences toward the incoming pod, all
    /// credited to the existing pod's domains.
    func process(existing entry: NodeInfo.PodEntry, node: NodeInfo, incoming: Incoming, into scoreState: inout ScoreState) {
        for weighted in incoming.info.preferredAffinity {
            scoreState.add(weighted.term, weight: weighted.weight, node: node,
                           matches: incoming.selects(entry, weighted.term))
        }
        for weighted in incoming.info.preferredAntiAffinity {
            scoreState.add(weighted.term, weight: -weighted.weight, node: node,
                           matches: incoming.selects(entry, weighted.term))
        }
        guard let theirs = entry.affinity else { return }
        if hardPodAffinityWeight > 0 {
            for term in theirs.requiredAffinity {
                scoreState.add(term, weight: hardPodAffinityWeight, node: node, matches: incoming.isSelected(by: term))
            }
        }
        for weighted in theirs.preferredAffinity {
            scoreState.add(weighted.term, weight: weighted.weight, node: node,
                           matches: incoming.isSelected(by: weighted.term))
        }
        for weighted in theirs.preferredAntiAffinity {
            scoreState.add(weighted.term, weight: -weighted.weight, node: node,
                           matches: incoming.isSelected(by: weighted.term))
        }
    }

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        guard let scoreState = state.read(Self.scoreKey, as: ScoreState.self) else { return 0 }
        var total: Int64 = 0
        for (key, values) in scoreState.topology {
            if let value = node.labels[key] { total += values[value] ?? 0 }
        }
        return total
    }

    /// Min-max scaling to 0...100 (raw scores may be negative).
    public func normalizeScores(state: CycleState, pod: JSONValue, scores: inout [NodeScore]) {
        guard state.read(Self.scoreKey, as: ScoreState.self) != nil, !scores.isEmpty else { return }
        let lowest = scores.map(\.score).min() ?? 0
        let highest = scores.map(\.score).max() ?? 0
        let spread = highest - lowest
        for i in scores.indices {
            scores[i].score = spread > 0
                ? Int64(Double(maxNodeScore) * (Double(scores[i].score - lowest) / Double(spread)))
                : 0
        }
    }
}

extension InterPodAffinity.FilterState {
    /// Counts an existing pod toward the incoming pod's own required terms only.
    mutating func updateOwnTerms(with entry: NodeInfo.PodEntry, node: NodeInfo, delta: Int) {
        let required = incoming.info.requiredAffinity
        if !required.isEmpty && required.allSatisfy({ incoming.selects(entry, $0) }) {
            for term in required {
                if let value = node.labels[term.topologyKey] {
                    affinity[.init(key: term.topologyKey, value: value), default: 0] += delta
                }
            }
        }
        for term in incoming.info.requiredAntiAffinity where incoming.selects(entry, term) {
            if let value = node.labels[term.topologyKey] {
                antiAffinity[.init(key: term.topologyKey, value: value), default: 0] += delta
            }
        }
    }
}
