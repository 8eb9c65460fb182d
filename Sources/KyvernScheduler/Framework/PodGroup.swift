/// Pods that every selector treats alike: same namespace, same labels, same terminating state.
///
/// Affinity terms and spread constraints select pods by namespace and labels only, so the
/// snapshot counts pods per group instead of walking them; the pods of one Deployment or
/// ReplicaSet are a single group however many there are.
public struct PodGroupKey: Sendable, Hashable {
    public let namespace: String
    public let labels: [String: String]
    /// Terminating pods still count for inter-pod affinity but not for topology spreading.
    public let terminating: Bool
    /// Hashing a label dictionary hashes every pair; the snapshot looks groups up for every pod
    /// of every changed node, so the hash is computed once.
    private let hash: Int

    public init(namespace: String, labels: [String: String], terminating: Bool) {
        self.namespace = namespace
        self.labels = labels
        self.terminating = terminating
        var hasher = Hasher()
        hasher.combine(namespace)
        hasher.combine(labels)
        hasher.combine(terminating)
        hash = hasher.finalize()
    }

    public static func == (a: PodGroupKey, b: PodGroupKey) -> Bool {
        a.hash == b.hash && a.terminating == b.terminating && a.namespace == b.namespace && a.labels == b.labels
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }
}

/// An existing pod's inter-pod (anti-)affinity term, as the incoming pod meets it: which kind,
/// with which weight (preferred terms; 0 for required ones).
public struct ExistingTermKey: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case requiredAffinity, requiredAntiAffinity, preferredAffinity, preferredAntiAffinity
    }

    public var kind: Kind
    public var weight: Int64
    public var term: AffinityTerm
}

/// How many pods of something sit in each topology domain of one node label key.
public struct DomainCounts: Sendable, Equatable {
    /// Pods on nodes that carry the key.
    public var total = 0
    /// Pods by the key's value; values whose count drops to zero are removed.
    public var byValue: [String: Int] = [:]

    mutating func add(_ value: String, _ count: Int) {
        total += count
        let updated = byValue[value, default: 0] + count
        byValue[value] = updated == 0 ? nil : updated
    }
}

extension NodeInfo.PodEntry {
    public var groupKey: PodGroupKey {
        PodGroupKey(namespace: namespace, labels: labels, terminating: terminating)
    }

    /// Each of the pod's affinity terms once per occurrence (a pod repeating a term counts twice,
    /// as upstream's walk over the pod's terms would).
    var existingTerms: [ExistingTermKey] {
        guard let affinity else { return [] }
        var keys: [ExistingTermKey] = []
        for term in affinity.requiredAffinity { keys.append(.init(kind: .requiredAffinity, weight: 0, term: term)) }
        for term in affinity.requiredAntiAffinity { keys.append(.init(kind: .requiredAntiAffinity, weight: 0, term: term)) }
        for weighted in affinity.preferredAffinity {
            keys.append(.init(kind: .preferredAffinity, weight: weighted.weight, term: weighted.term))
        }
        for weighted in affinity.preferredAntiAffinity {
            keys.append(.init(kind: .preferredAntiAffinity, weight: weighted.weight, term: weighted.term))
        }
        return keys
    }
}
