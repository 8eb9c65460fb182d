public import KyvernAPI
import Foundation

/// Spreads matching pods evenly over topology domains: `DoNotSchedule` constraints filter nodes
/// whose domain would exceed `maxSkew` over the emptiest domain, `ScheduleAnyway` constraints
/// (and the cluster-level default constraints for pods of a Service or controller that declare
/// none) score nodes by how many matching pods their domains already hold.
///
/// Default constraints need the selectors of the pod's Services and controller, which the
/// caller supplies in ``ClusterContext`` (`serviceSelectors`, `controllerSelectors`); without
/// them a pod gets no default constraints.
public struct PodTopologySpread: PreFilterPlugin, PreFilterExtensions, FilterPlugin, PreScorePlugin, ScorePlugin {
    public static let reason = "node(s) didn't match pod topology spread constraints"
    public static let missingLabelReason = "node(s) didn't match pod topology spread constraints (missing required label)"
    static let hostnameKey = "kubernetes.io/hostname"
    static let zoneKey = "topology.kubernetes.io/zone"

    public enum DefaultingType: String, Sendable {
        /// Upstream's built-in defaults: hostname maxSkew 3 and zone maxSkew 5, ScheduleAnyway.
        case system = "System"
        /// The `defaultConstraints` given in the args.
        case list = "List"
    }

    public let name = "PodTopologySpread"
    public let defaultingType: DefaultingType
    /// Constraints (without selectors) for pods that declare none.
    public let defaultConstraints: [JSONValue]

    public static let systemDefaultConstraints: [JSONValue] = [
        ["topologyKey": .string(hostnameKey), "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 3],
        ["topologyKey": .string(zoneKey), "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 5],
    ]

    public init(defaultingType: DefaultingType = .system, defaultConstraints: [JSONValue] = []) {
        self.defaultingType = defaultingType
        self.defaultConstraints = defaultingType == .system ? Self.systemDefaultConstraints : defaultConstraints
    }

    /// Upstream's `PodTopologySpreadArgs`: `{"defaultingType": "System"|"List",
    /// "defaultConstraints": [{"maxSkew", "topologyKey", "whenUnsatisfiable"}]}`; the type
    /// defaults to System (then `defaultConstraints` must be empty, which config validates).
    public init(args: JSONValue?) {
        let type = DefaultingType(rawValue: args?["defaultingType"]?.stringValue ?? "System") ?? .system
        self.init(defaultingType: type, defaultConstraints: args?["defaultConstraints"]?.arrayValue ?? [])
    }

    /// One parsed constraint.
    struct Constraint: Sendable {
        var maxSkew: Int
        var topologyKey: String
        var selector: LabelSelector
        var minDomains: Int
        var honorNodeAffinity: Bool
        var honorTaints: Bool

        init(json: JSONValue, selector: LabelSelector) {
            maxSkew = Int(json["maxSkew"]?.intValue ?? 1)
            topologyKey = json["topologyKey"]?.stringValue ?? ""
            self.selector = selector
            minDomains = Int(json["minDomains"]?.intValue ?? 1)
            honorNodeAffinity = (json["nodeAffinityPolicy"]?.stringValue ?? "Honor") == "Honor"
            honorTaints = (json["nodeTaintsPolicy"]?.stringValue ?? "Ignore") == "Honor"
        }

        /// Pods counted toward a domain: same namespace, not terminating, matched by the selector
        /// (an empty selector counts nothing, as upstream).
        func count(_ node: NodeInfo, namespace: String) -> Int {
            if selector.isEmpty || selector.matchesNothing { return 0 }
            return node.countPods { matches($0, namespace: namespace) }
        }

        /// Whether the constraint counts the pods of `group`.
        func matches(_ group: PodGroupKey, namespace: String) -> Bool {
            !selector.isEmpty && !selector.matchesNothing && !group.terminating
                && group.namespace == namespace && selector.matches(group.labels)
        }

        func matches(_ entry: NodeInfo.PodEntry, namespace: String) -> Bool {
            !selector.isEmpty && !selector.matchesNothing && !entry.terminating
                && entry.namespace == namespace && selector.matches(entry.labels)
        }
    }

    /// What the inclusion policies need of the incoming pod.
    struct Inclusion: Sendable {
        var nodeAffinity: NodeAffinity.Required
        var tolerations: [Toleration]

        init(pod: JSONValue) {
            nodeAffinity = NodeAffinity.required(pod)
            tolerations = Toleration.of(pod: pod)
        }

        /// Whether the policies let every node count, whatever its labels and taints.
        func includesEveryNode(for constraint: Constraint) -> Bool {
            !constraint.honorTaints
                && (!constraint.honorNodeAffinity || (nodeAffinity.selector.isEmpty && nodeAffinity.terms == nil))
        }

        func includes(_ node: NodeInfo, for constraint: Constraint) -> Bool {
            if constraint.honorNodeAffinity && !nodeAffinity.matches(node) { return false }
            if constraint.honorTaints {
                for taint in node.taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
                    if !tolerations.tolerate(taint) { return false }
                }
            }
            return true
        }
    }

    /// The pod's constraints with `when` as their action: its own (labelSelector plus
    /// matchLabelKeys), or the defaults with the selector of its Services and controller.
    func constraints(of pod: JSONValue, when action: String, cluster: ClusterContext) -> [Constraint] {
        let labels = PodFacts.labels(of: pod)
        let own = pod[path: ["spec", "topologySpreadConstraints"]]?.arrayValue ?? []
        if !own.isEmpty {
            return own.filter { ($0["whenUnsatisfiable"]?.stringValue ?? "") == action }.map { json in
                var selector = (try? LabelSelector(labelSelector: json["labelSelector"])) ?? .nothing
                var extra: [LabelSelector.Requirement] = []
                for key in (json["matchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue) {
                    if let value = labels[key] { extra.append(.init(key: key, op: .in, values: [value])) }
                }
                if !extra.isEmpty && !selector.matchesNothing {
                    selector = LabelSelector(requirements: selector.requirements + extra)
                }
                return Constraint(json: json, selector: selector)
            }
        }
        let defaults = defaultConstraints.filter { ($0["whenUnsatisfiable"]?.stringValue ?? "") == action }
        if defaults.isEmpty { return [] }
        let selector = Self.defaultSelector(pod: pod, labels: labels, cluster: cluster)
        if selector.isEmpty { return [] }
        return defaults.map { Constraint(json: $0, selector: selector) }
    }

    /// Upstream's `DefaultSelector`: the Services selecting the pod merged, plus the selector of
    /// its controlling ReplicationController, ReplicaSet or StatefulSet.
    static func defaultSelector(pod: JSONValue, labels: [String: String], cluster: ClusterContext) -> LabelSelector {
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        var merged: [String: String] = [:]
        for selector in cluster.serviceSelectors[namespace] ?? [] where LabelSelector(matchLabels: selector).matches(labels) {
            merged.merge(selector) { $1 }
        }
        var requirements = LabelSelector(matchLabels: merged).requirements
        let owners = pod[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
        if let owner = owners.first(where: { $0["controller"]?.boolValue == true }),
           let kind = owner["kind"]?.stringValue, let name = owner["name"]?.stringValue {
            let apiVersion = owner["apiVersion"]?.stringValue ?? ""
            let known = (kind == "ReplicationController" && apiVersion == "v1")
                || ((kind == "ReplicaSet" || kind == "StatefulSet") && apiVersion == "apps/v1")
            if known, let selector = cluster.controllerSelectors[
                ClusterContext.controllerKey(kind: kind, namespace: namespace, name: name)] {
                requirements += selector.requirements
            }
        }
        return LabelSelector(requirements: requirements)
    }

    static func hasAllKeys(_ node: NodeInfo, _ constraints: [Constraint]) -> Bool {
        constraints.allSatisfy { node.labels[$0.topologyKey] != nil }
    }

    /// True when every node of the snapshot carries every constraint's key and the inclusion
    /// policies exclude none: then a domain's count is the snapshot's tally for it, with no walk
    /// over the nodes.
    static func everyNodeCounts(_ constraints: [Constraint], _ inclusion: Inclusion, _ snapshot: Snapshot) -> Bool {
        constraints.allSatisfy {
            inclusion.includesEveryNode(for: $0)
                && snapshot.topology.nodeCount(withKey: $0.topologyKey) == snapshot.nodes.count
        }
    }

    // MARK: PreFilter / Filter

    struct FilterState: Sendable {
        var constraints: [Constraint]
        var namespace: String
        var selfMatch: [Bool]
        /// Matching pods per domain value, per constraint; a domain exists once an eligible node
        /// carries its value.
        /// Domains missing from a table hold no matching pod.
        var counts: [[String: Int]]
        /// How many domains each constraint has.
        var domains: [Int]
        var minimum: [Int]

        mutating func recomputeMinimum() {
            for i in constraints.indices {
                var lowest = counts[i].values.min() ?? Int.max
                if counts[i].count < domains[i] { lowest = min(lowest, 0) }
                minimum[i] = lowest
            }
        }

        /// The global minimum, or 0 while fewer domains exist than `minDomains` asks for.
        func minMatch(_ i: Int) -> Int {
            domains[i] < constraints[i].minDomains ? 0 : minimum[i]
        }
    }

    static let filterKey = "PreFilterPodTopologySpread"
    static let scoreKey = "PreScorePodTopologySpread"

    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let snapshot = state.snapshot ?? Snapshot(nodes: nodes)
        let constraints = constraints(of: pod, when: "DoNotSchedule", cluster: snapshot.cluster)
        if constraints.isEmpty { return Status(.skip) }
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let labels = PodFacts.labels(of: pod)
        let inclusion = Inclusion(pod: pod)
        var counts = [[String: Int]](repeating: [:], count: constraints.count)
        var domains = [Int](repeating: 0, count: constraints.count)
        let index = snapshot.topology
        if Self.everyNodeCounts(constraints, inclusion, snapshot) {
            // Every node is a member of its domains: the snapshot's tallies are the counts.
            for (i, constraint) in constraints.enumerated() {
                domains[i] = index.nodesByLabel[constraint.topologyKey]?.byValue.count ?? 0
                counts[i] = index.groups { constraint.matches($0, namespace: namespace) }
                    .counts(of: constraint.topologyKey)
            }
        } else {
            for node in snapshot.nodes where Self.hasAllKeys(node, constraints) {
                for (i, constraint) in constraints.enumerated() where inclusion.includes(node, for: constraint) {
                    let value = node.labels[constraint.topologyKey] ?? ""
                    counts[i][value, default: 0] += constraint.count(node, namespace: namespace)
                }
            }
            domains = counts.map(\.count)
        }
        var filterState = FilterState(
            constraints: constraints, namespace: namespace,
            selfMatch: constraints.map { !$0.selector.matchesNothing && $0.selector.matches(labels) },
            counts: counts, domains: domains, minimum: Array(repeating: 0, count: constraints.count))
        filterState.recomputeMinimum()
        state.write(Self.filterKey, filterState)
        return .success
    }

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        guard let filterState = state.read(Self.filterKey, as: FilterState.self) else { return .success }
        for (i, constraint) in filterState.constraints.enumerated() {
            guard let value = node.labels[constraint.topologyKey] else {
                return .unresolvable(Self.missingLabelReason)
            }
            let matching = filterState.counts[i][value] ?? 0
            let skew = matching + (filterState.selfMatch[i] ? 1 : 0) - filterState.minMatch(i)
            if skew > constraint.maxSkew { return .unschedulable(Self.reason) }
        }
        return .success
    }

    public func addPod(state: inout CycleState, pod: JSONValue, podToAdd: NodeInfo.PodEntry, node: NodeInfo) {
        update(state: &state, pod: pod, entry: podToAdd, node: node, delta: 1)
    }

    public func removePod(state: inout CycleState, pod: JSONValue, podToRemove: NodeInfo.PodEntry, node: NodeInfo) {
        update(state: &state, pod: pod, entry: podToRemove, node: node, delta: -1)
    }

    private func update(state: inout CycleState, pod: JSONValue, entry: NodeInfo.PodEntry, node: NodeInfo, delta: Int) {
        guard var filterState = state.read(Self.filterKey, as: FilterState.self),
              Self.hasAllKeys(node, filterState.constraints) else { return }
        let inclusion = Inclusion(pod: pod)
        for (i, constraint) in filterState.constraints.enumerated()
        where inclusion.includes(node, for: constraint) && constraint.matches(entry, namespace: filterState.namespace) {
            let value = node.labels[constraint.topologyKey] ?? ""
            filterState.counts[i][value, default: 0] += delta
        }
        filterState.recomputeMinimum()
        state.write(Self.filterKey, filterState)
    }

    // MARK: PreScore / Score

    struct ScoreState: Sendable {
        var constraints: [Constraint]
        var namespace: String
        /// Nodes lacking a topology key of the pod's own constraints: scored 0.
        var ignored: Set<String> = []
        /// Matching pods per (constraint index, domain value); for the host name key, per node.
        var counts: [[String: Int]]
        var weights: [Double]
    }

    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let snapshot = state.snapshot ?? Snapshot(nodes: nodes)
        if nodes.isEmpty || snapshot.nodes.isEmpty { return Status(.skip) }
        let constraints = constraints(of: pod, when: "ScheduleAnyway", cluster: snapshot.cluster)
        if constraints.isEmpty { return Status(.skip) }
        // System defaults spread by hostname even on nodes without a zone label.
        let ownConstraints = !(pod[path: ["spec", "topologySpreadConstraints"]]?.arrayValue ?? []).isEmpty
        let requireAllTopologies = ownConstraints || defaultingType != .system
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        var scoreState = ScoreState(constraints: constraints, namespace: namespace,
                                    counts: Array(repeating: [:], count: constraints.count), weights: [])
        for node in nodes {
            if requireAllTopologies && !Self.hasAllKeys(node, constraints) {
                scoreState.ignored.insert(node.name)
                continue
            }
            for (i, constraint) in constraints.enumerated() where constraint.topologyKey != Self.hostnameKey {
                // A node without the key has the empty value, as upstream's map look-up.
                scoreState.counts[i][node.labels[constraint.topologyKey] ?? "", default: 0] += 0
            }
        }
        scoreState.weights = constraints.enumerated().map { i, constraint in
            let size = constraint.topologyKey == Self.hostnameKey
                ? nodes.count - scoreState.ignored.count : scoreState.counts[i].count
            return Self.normalizingWeight(size)
        }
        let inclusion = Inclusion(pod: pod)
        let everyNodeHasAllKeys = constraints.allSatisfy {
            snapshot.topology.nodeCount(withKey: $0.topologyKey) == snapshot.nodes.count
        }
        // Constraints the snapshot's tallies answer are read from them; the rest walk the nodes.
        var walked: [Int] = []
        for (i, constraint) in constraints.enumerated() {
            let groups = snapshot.topology.groups { constraint.matches($0, namespace: namespace) }
            if constraint.topologyKey == Self.hostnameKey {
                // One node per host name: the tallies are each node's own count (score reads them).
                scoreState.counts[i] = groups.counts(of: Self.hostnameKey)
            } else if inclusion.includesEveryNode(for: constraint) && (everyNodeHasAllKeys || !requireAllTopologies) {
                let tally = groups.counts(of: constraint.topologyKey)
                // Pods on nodes without the key count toward the empty value, as upstream's map look-up.
                let unlabelled = groups.reduce(0) { $0 + $1.pods } - tally.values.reduce(0, +)
                for value in scoreState.counts[i].keys {
                    scoreState.counts[i][value]! += (tally[value] ?? 0) + (value.isEmpty ? unlabelled : 0)
                }
            } else {
                walked.append(i)
            }
        }
        if !walked.isEmpty {
            for node in snapshot.nodes {
                if requireAllTopologies && !Self.hasAllKeys(node, constraints) { continue }
                for i in walked {
                    let constraint = constraints[i]
                    guard inclusion.includes(node, for: constraint) else { continue }
                    let value = node.labels[constraint.topologyKey] ?? ""
                    guard scoreState.counts[i][value] != nil else { continue }
                    scoreState.counts[i][value]! += constraint.count(node, namespace: namespace)
                }
            }
        }
        state.write(Self.scoreKey, scoreState)
        return .success
    }

    /// Domains weigh by log(count + 2), so a constraint over many small domains does not drown
    /// one over few large ones.
    static func normalizingWeight(_ size: Int) -> Double {
        log(Double(size + 2))
    }

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        guard let scoreState = state.read(Self.scoreKey, as: ScoreState.self),
              !scoreState.ignored.contains(node.name) else { return 0 }
        var total = 0.0
        for (i, constraint) in scoreState.constraints.enumerated() {
            guard let value = node.labels[constraint.topologyKey] else { continue }
            let count = scoreState.counts[i][value] ?? 0
            total += Double(count) * scoreState.weights[i] + Double(constraint.maxSkew - 1)
        }
        return Int64(total.rounded())
    }

    /// Fewer matching pods is better: scores are reversed between the extremes; ignored nodes get 0.
    public func normalizeScores(state: CycleState, pod: JSONValue, scores: inout [NodeScore]) {
        guard let scoreState = state.read(Self.scoreKey, as: ScoreState.self) else { return }
        var lowest = Int64.max
        var highest: Int64 = 0
        for entry in scores where !scoreState.ignored.contains(entry.name) {
            lowest = min(lowest, entry.score)
            highest = max(highest, entry.score)
        }
        for i in scores.indices {
            if scoreState.ignored.contains(scores[i].name) {
                scores[i].score = 0
            } else if highest == 0 {
                scores[i].score = maxNodeScore
            } else {
                scores[i].score = maxNodeScore * (highest + lowest - scores[i].score) / highest
            }
        }
    }
}
