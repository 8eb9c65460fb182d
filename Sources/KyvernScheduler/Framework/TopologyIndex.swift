/// Snapshot-wide tallies of pods per topology domain, kept up to date as the snapshot's nodes
/// are added, replaced or get a pod assumed, so the plugins that count pods over the whole
/// cluster (InterPodAffinity, PodTopologySpread) read a few counters per cycle instead of walking
/// every pod of every node (what upstream does, in parallel, every cycle).
///
/// Counts are by node label key and value, for every label a node carries: a topology key is
/// just a label key, and nodes carry a handful of labels.
public struct TopologyIndex: Sendable, Equatable {
    /// The pods of one ``PodGroupKey``.
    public struct Group: Sendable, Equatable {
        /// Pods of the group anywhere (whatever labels their nodes carry).
        public var pods = 0
        /// The group's pods per node label key and value.
        public var byKey: [String: DomainCounts] = [:]
    }

    /// Nodes per label key and value: a key's values are its topology domains.
    public private(set) var nodesByLabel: [String: DomainCounts] = [:]
    public private(set) var groups: [PodGroupKey: Group] = [:]
    /// Existing pods' inter-pod affinity terms per value of the term's topology key (pods on
    /// nodes without that key are not counted, as upstream).
    public private(set) var existingTerms: [ExistingTermKey: DomainCounts] = [:]

    public init() {}

    mutating func add(_ node: NodeInfo) { apply(node, sign: 1) }
    mutating func remove(_ node: NodeInfo) { apply(node, sign: -1) }

    /// `old` became `new` (a pod assumed, bound or gone): with the same labels only the groups
    /// and terms whose counts moved are touched, not every pod group of the node twice.
    mutating func replace(_ old: NodeInfo, with new: NodeInfo) {
        guard old.labels == new.labels else {
            remove(old)
            add(new)
            return
        }
        let labels = new.labels
        let before = old.groupCounts, after = new.groupCounts
        for (group, count) in after where before[group] != count {
            applyGroup(group, delta: count - (before[group] ?? 0), labels: labels)
        }
        for (group, count) in before where after[group] == nil {
            applyGroup(group, delta: -count, labels: labels)
        }
        let termsBefore = old.termCounts, termsAfter = new.termCounts
        for (term, count) in termsAfter where termsBefore[term] != count {
            applyTerm(term, delta: count - (termsBefore[term] ?? 0), labels: labels)
        }
        for (term, count) in termsBefore where termsAfter[term] == nil {
            applyTerm(term, delta: -count, labels: labels)
        }
    }

    private mutating func apply(_ node: NodeInfo, sign: Int) {
        let labels = node.labels
        for (key, value) in labels {
            nodesByLabel[key, default: DomainCounts()].add(value, sign)
            if nodesByLabel[key]!.byValue.isEmpty { nodesByLabel[key] = nil }
        }
        for (group, count) in node.groupCounts {
            applyGroup(group, delta: sign * count, labels: labels)
        }
        for (term, count) in node.termCounts {
            applyTerm(term, delta: sign * count, labels: labels)
        }
    }

    private mutating func applyGroup(_ group: PodGroupKey, delta: Int, labels: [String: String]) {
        var entry = groups.removeValue(forKey: group) ?? Group()
        entry.pods += delta
        guard entry.pods != 0 else { return }
        for (key, value) in labels {
            entry.byKey[key, default: DomainCounts()].add(value, delta)
        }
        groups[group] = entry
    }

    private mutating func applyTerm(_ term: ExistingTermKey, delta: Int, labels: [String: String]) {
        guard let value = labels[term.term.topologyKey] else { return }
        existingTerms[term, default: DomainCounts()].add(value, delta)
        if existingTerms[term]!.byValue.isEmpty { existingTerms[term] = nil }
    }

    /// Nodes carrying `key`.
    public func nodeCount(withKey key: String) -> Int { nodesByLabel[key]?.total ?? 0 }

    /// The groups `matches` accepts.
    public func groups(where matches: (PodGroupKey) -> Bool) -> [Group] {
        var found: [Group] = []
        for (key, group) in groups where matches(key) { found.append(group) }
        return found
    }
}

extension [TopologyIndex.Group] {
    /// The groups' pods per value of `key`, summed (one group's table is shared, not copied).
    func counts(of key: String) -> [String: Int] {
        if count == 1 { return self[0].byKey[key]?.byValue ?? [:] }
        var sum: [String: Int] = [:]
        for group in self {
            for (value, n) in group.byKey[key]?.byValue ?? [:] { sum[value, default: 0] += n }
        }
        return sum
    }
}
