public import KyvernAPI

/// One pod (anti-)affinity term, parsed once: which pods it selects and over which node label
/// its topology domains are drawn.
public struct AffinityTerm: Sendable, Hashable {
    /// The term's `labelSelector`, with `matchLabelKeys` (`key in (own value)`) and
    /// `mismatchLabelKeys` (`key notin (own value)`) of the owning pod merged in, as the API
    /// server merges them at pod creation (doing it again is harmless).
    public var selector: LabelSelector
    /// Namespaces named by the term; the owning pod's own namespace when the term names none and
    /// has no `namespaceSelector`.
    public var namespaces: Set<String>
    /// `.nothing` when absent; `{}` selects every namespace.
    public var namespaceSelector: LabelSelector
    public var topologyKey: String

    public init(json: JSONValue, ownerNamespace: String, ownerLabels: [String: String]) {
        var selector = (try? LabelSelector(labelSelector: json["labelSelector"])) ?? .nothing
        var extra: [LabelSelector.Requirement] = []
        for key in (json["matchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue) {
            if let value = ownerLabels[key] { extra.append(.init(key: key, op: .in, values: [value])) }
        }
        for key in (json["mismatchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue) {
            if let value = ownerLabels[key] { extra.append(.init(key: key, op: .notIn, values: [value])) }
        }
        if !extra.isEmpty && !selector.matchesNothing {
            selector = LabelSelector(requirements: selector.requirements + extra)
        }
        self.selector = selector
        namespaces = Set((json["namespaces"]?.arrayValue ?? []).compactMap(\.stringValue))
        let nsSelector = json["namespaceSelector"]
        if let nsSelector, !nsSelector.isNull {
            namespaceSelector = (try? LabelSelector(labelSelector: nsSelector)) ?? .nothing
        } else {
            namespaceSelector = .nothing
            if namespaces.isEmpty { namespaces = [ownerNamespace] }
        }
        topologyKey = json["topologyKey"]?.stringValue ?? ""
    }

    /// Upstream's `AffinityTerm.Matches`: the pod's namespace is listed or selected, and its
    /// labels match. Unknown namespaces have no labels.
    public func matches(namespace: String, labels: [String: String],
                        namespaceLabels: [String: [String: String]]) -> Bool {
        guard namespaces.contains(namespace)
            || (!namespaceSelector.matchesNothing && namespaceSelector.matches(namespaceLabels[namespace] ?? [:]))
        else { return false }
        return selector.matches(labels)
    }
}

public struct WeightedAffinityTerm: Sendable, Hashable {
    public var term: AffinityTerm
    public var weight: Int64
}

/// A pod's inter-pod affinity and anti-affinity, parsed once per pod (for existing pods when
/// they are added to a ``NodeInfo``, for the incoming pod in PreFilter/PreScore).
public struct PodAffinityInfo: Sendable, Hashable {
    public var requiredAffinity: [AffinityTerm] = []
    public var requiredAntiAffinity: [AffinityTerm] = []
    public var preferredAffinity: [WeightedAffinityTerm] = []
    public var preferredAntiAffinity: [WeightedAffinityTerm] = []

    public init() {}

    /// nil when the pod has neither `podAffinity` nor `podAntiAffinity`.
    public init?(pod: JSONValue) {
        guard let affinity = pod[path: ["spec", "affinity"]]?.objectValue else { return nil }
        let podAffinity = affinity["podAffinity"].flatMap { $0.isNull ? nil : $0 }
        let podAntiAffinity = affinity["podAntiAffinity"].flatMap { $0.isNull ? nil : $0 }
        guard podAffinity != nil || podAntiAffinity != nil else { return nil }
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let labels = PodFacts.labels(of: pod)
        func required(_ block: JSONValue?) -> [AffinityTerm] {
            (block?["requiredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).map {
                AffinityTerm(json: $0, ownerNamespace: namespace, ownerLabels: labels)
            }
        }
        func preferred(_ block: JSONValue?) -> [WeightedAffinityTerm] {
            (block?["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).compactMap { entry in
                guard let weight = entry["weight"]?.intValue, weight != 0 else { return nil }
                let term = AffinityTerm(json: entry["podAffinityTerm"] ?? .object([:]),
                                        ownerNamespace: namespace, ownerLabels: labels)
                return WeightedAffinityTerm(term: term, weight: weight)
            }
        }
        requiredAffinity = required(podAffinity)
        requiredAntiAffinity = required(podAntiAffinity)
        preferredAffinity = preferred(podAffinity)
        preferredAntiAffinity = preferred(podAntiAffinity)
    }

    public var hasPreferred: Bool { !preferredAffinity.isEmpty || !preferredAntiAffinity.isEmpty }
    public var hasRequired: Bool { !requiredAffinity.isEmpty || !requiredAntiAffinity.isEmpty }
}

/// Small per-pod facts several plugins read, parsed once.
public enum PodFacts {
    public static func labels(of pod: JSONValue) -> [String: String] {
        (pod[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// `spec.priority`, 0 when unset (the admission plugin sets it; a pod without it has none).
    public static func priority(of pod: JSONValue) -> Int64 {
        pod[path: ["spec", "priority"]]?.intValue ?? 0
    }
}
