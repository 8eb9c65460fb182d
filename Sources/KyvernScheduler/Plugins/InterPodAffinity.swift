public import KyvernAPI

/// Pod affinity and anti-affinity: required terms filter nodes by the pods already in each
/// topology domain (both the incoming pod's terms and existing pods' required anti-affinity
/// against it), preferred terms score them, and existing pods' required affinity counts
/// `hardPodAffinityWeight` toward the domains that hold them.
///
/// PreFilter/PreScore read the snapshot's ``TopologyIndex`` (pods per group and existing terms
/// per topology domain, kept as pods come and go), so a cycle costs the number of distinct pod
/// groups and terms, not of pods; per-node work is a few label look-ups.
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

        /// Whether the incoming pod's term selects a group of existing pods.
        func selects(_ group: PodGroupKey, _ term: AffinityTerm) -> Bool {
            term.matches(namespace: group.namespace, labels: group.labels, namespaceLabels: namespaceLabels)
        }
    }

    /// Counts per topology domain, read from the snapshot's ``TopologyIndex`` (shared tables,
    /// not copies) plus the changes preemption's simulation and nominated pods make.
    struct FilterState: Sendable {
        var incoming: Incoming
        /// Per topology key, the value counts of each existing required anti-affinity term
        /// that selects the incoming pod.
        var existingAntiAffinity: [String: [[String: Int]]] = [:]
        /// Per required affinity term, the value counts of the pods matching all those terms.
        var affinity: [[String: Int]] = []
        /// Per required anti-affinity term, the value counts of the pods it selects.
        var antiAffinity: [[String: Int]] = []
        var existingAntiAffinityDelta: [TopologyPair: Int] = [:]
        var affinityDelta: [TopologyPair: Int] = [:]
        var antiAffinityDelta: [TopologyPair: Int] = [:]
        /// Whether some domain holds pods matching all required affinity terms.
        var affinityPodsExist = false

        /// Pods in the domain whose required anti-affinity selects the incoming pod.
        func existingAntiAffinityCount(_ key: String, _ value: String) -> Int {
            // The deltas are empty outside preemption's simulation: skip hashing the pair then.
            var n = existingAntiAffinityDelta.isEmpty ? 0 : existingAntiAffinityDelta[TopologyPair(key: key, value: value)] ?? 0
            for counts in existingAntiAffinity[key] ?? [] { n += counts[value] ?? 0 }
            return n
        }

        /// Matching pods counted once per term with this topology key, as upstream's pair map.
        func affinityCount(_ key: String, _ value: String) -> Int {
            var n = affinityDelta.isEmpty ? 0 : affinityDelta[TopologyPair(key: key, value: value)] ?? 0
            for (i, term) in incoming.info.requiredAffinity.enumerated() where term.topologyKey == key {
                n += affinity[i][value] ?? 0
            }
            return n
        }

        func antiAffinityCount(_ key: String, _ value: String) -> Int {
            var n = antiAffinityDelta.isEmpty ? 0 : antiAffinityDelta[TopologyPair(key: key, value: value)] ?? 0
            for (i, term) in incoming.info.requiredAntiAffinity.enumerated() where term.topologyKey == key {
                n += antiAffinity[i][value] ?? 0
            }
            return n
        }

        mutating func recomputeAffinityPodsExist() {
            let terms = incoming.info.requiredAffinity
            if affinityDelta.isEmpty {
                affinityPodsExist = affinity.contains { !$0.isEmpty }
                return
            }
            var pairs: Set<TopologyPair> = Set(affinityDelta.keys)
            for (i, term) in terms.enumerated() {
                for value in affinity[i].keys { pairs.insert(TopologyPair(key: term.topologyKey, value: value)) }
            }
            affinityPodsExist = pairs.contains { affinityCount($0.key, $0.value) > 0 }
        }

        /// A pod added to (delta 1) or removed from (-1) `node` for this cycle only.
        mutating func update(with entry: NodeInfo.PodEntry, node: NodeInfo, delta: Int) {
            for term in entry.affinity?.requiredAntiAffinity ?? [] where incoming.isSelected(by: term) {
                if let value = node.labels[term.topologyKey] {
                    existingAntiAffinityDelta[TopologyPair(key: term.topologyKey, value: value), default: 0] += delta
                }
            }
            let required = incoming.info.requiredAffinity
            if !required.isEmpty && required.allSatisfy({ incoming.selects(entry, $0) }) {
                for term in required {
                    if let value = node.labels[term.topologyKey] {
                        affinityDelta[TopologyPair(key: term.topologyKey, value: value), default: 0] += delta
                    }
                }
            }
            for term in incoming.info.requiredAntiAffinity where incoming.selects(entry, term) {
                if let value = node.labels[term.topologyKey] {
                    antiAffinityDelta[TopologyPair(key: term.topologyKey, value: value), default: 0] += delta
                }
            }
            recomputeAffinityPodsExist()
        }
    }

    static let filterKey = "PreFilterInterPodAffinity"
    static let scoreKey = "PreScoreInterPodAffinity"

    // MARK: PreFilter / Filter

    /// Reads the snapshot's per-domain tallies: distinct existing terms and pod groups, not
    /// every pod, are looked at.
    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let snapshot = state.snapshot ?? Snapshot(nodes: nodes)
        var filterState = FilterState(incoming: Incoming(pod: pod, namespaceLabels: snapshot.cluster.namespaceLabels))
        let incoming = filterState.incoming
        if !incoming.info.hasRequired && !snapshot.hasRequiredAntiAffinityPods { return Status(.skip) }
        let index = snapshot.topology
        for (key, counts) in index.existingTerms where key.kind == .requiredAntiAffinity && incoming.isSelected(by: key.term) {
            filterState.existingAntiAffinity[key.term.topologyKey, default: []].append(counts.byValue)
        }
        let required = incoming.info.requiredAffinity
        if !required.isEmpty {
            let groups = index.groups { group in required.allSatisfy { incoming.selects(group, $0) } }
            filterState.affinity = required.map { groups.counts(of: $0.topologyKey) }
        }
        filterState.antiAffinity = incoming.info.requiredAntiAffinity.map { term in
            index.groups { incoming.selects($0, term) }.counts(of: term.topologyKey)
        }
        filterState.recomputeAffinityPodsExist()
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
            if let value = node.labels[term.topologyKey], filterState.antiAffinityCount(term.topologyKey, value) > 0 {
                return .unschedulable(Self.antiAffinityReason)
            }
        }
        if !filterState.existingAntiAffinity.isEmpty || !filterState.existingAntiAffinityDelta.isEmpty {
            for key in filterState.existingAntiAffinity.keys {
                if let value = node.labels[key], filterState.existingAntiAffinityCount(key, value) > 0 {
                    return .unschedulable(Self.existingAntiAffinityReason)
                }
            }
            for pair in filterState.existingAntiAffinityDelta.keys where filterState.existingAntiAffinity[pair.key] == nil {
                if let value = node.labels[pair.key], filterState.existingAntiAffinityCount(pair.key, value) > 0 {
                    return .unschedulable(Self.existingAntiAffinityReason)
                }
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
            if filterState.affinityCount(term.topologyKey, value) <= 0 { podsExist = false }
        }
        if podsExist { return true }
        let incoming = filterState.incoming
        return !filterState.affinityPodsExist && terms.allSatisfy { incoming.isSelected(by: $0) }
    }

    // MARK: PreScore / Score

    struct ScoreState: Sendable {
        /// Score per topology key and value.
        var topology: [String: [String: Int64]] = [:]

        /// Credits `weight` for each of `counts` pods to their domains of `key`.
        mutating func add(_ key: String, weight: Int64, counts: [String: Int]) {
            for (value, n) in counts { topology[key, default: [:]][value, default: 0] += weight * Int64(n) }
        }
    }

    /// Upstream's `processExistingPod` over the snapshot's tallies: the incoming pod's
    /// preferences toward the pod groups, and the existing pods' required affinity and
    /// preferences toward the incoming pod, credited to the domains that hold them.
    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let snapshot = state.snapshot ?? Snapshot(nodes: nodes)
        let incoming = Incoming(pod: pod, namespaceLabels: snapshot.cluster.namespaceLabels)
        let hasConstraints = incoming.info.hasPreferred
        if ignorePreferredTermsOfExistingPods && !hasConstraints { return Status(.skip) }
        let index = snapshot.topology
        var scoreState = ScoreState()
        if hasConstraints {
            let own = incoming.info.preferredAffinity.map { ($0.term, $0.weight) }
                + incoming.info.preferredAntiAffinity.map { ($0.term, -$0.weight) }
            for (term, weight) in own {
                for group in index.groups(where: { incoming.selects($0, term) }) {
                    scoreState.add(term.topologyKey, weight: weight, counts: group.byKey[term.topologyKey]?.byValue ?? [:])
                }
            }
        }
        for (key, counts) in index.existingTerms {
            let weight: Int64
            switch key.kind {
            case .requiredAntiAffinity: continue
            case .requiredAffinity:
                guard hardPodAffinityWeight > 0 else { continue }
                weight = hardPodAffinityWeight
            case .preferredAffinity: weight = key.weight
            case .preferredAntiAffinity: weight = -key.weight
            }
            guard incoming.isSelected(by: key.term) else { continue }
            scoreState.add(key.term.topologyKey, weight: weight, counts: counts.byValue)
        }
        if scoreState.topology.isEmpty { return Status(.skip) }
        state.write(Self.scoreKey, scoreState)
        return .success
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
