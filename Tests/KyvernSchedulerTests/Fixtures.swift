import KyvernAPI
@testable import KyvernScheduler

/// Builds node and pod objects as the API server stores them.
enum Fixtures {
    static func node(_ name: String, cpu: String = "4", memory: String = "8Gi", pods: Int64 = 110,
                     extra: [String: JSONValue] = [:], labels: [String: String] = [:],
                     taints: [JSONValue] = [], unschedulable: Bool = false) -> JSONValue {
        var allocatable: [String: JSONValue] = ["cpu": .string(cpu), "memory": .string(memory),
                                                "ephemeral-storage": "100Gi", "pods": .string(String(pods))]
        allocatable.merge(extra) { $1 }
        var spec: [String: JSONValue] = [:]
        if !taints.isEmpty { spec["taints"] = .array(taints) }
        if unschedulable { spec["unschedulable"] = true }
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })],
            "spec": .object(spec),
            "status": ["allocatable": .object(allocatable), "capacity": .object(allocatable)],
        ]
    }

    static func container(_ name: String = "c", requests: [String: JSONValue]? = nil,
                          extra: [String: JSONValue] = [:]) -> JSONValue {
        var c: [String: JSONValue] = ["name": .string(name), "image": "nginx"]
        if let requests { c["resources"] = ["requests": .object(requests)] }
        c.merge(extra) { $1 }
        return .object(c)
    }

    static func pod(_ name: String = "p", namespace: String = "default",
                    requests: [String: JSONValue]? = nil, spec: [String: JSONValue] = [:]) -> JSONValue {
        var s: [String: JSONValue] = ["containers": [container(requests: requests)]]
        s.merge(spec) { $1 }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": .object(s),
        ]
    }

    static func taint(_ key: String, _ value: String = "", effect: String) -> JSONValue {
        ["key": .string(key), "value": .string(value), "effect": .string(effect)]
    }
}

extension Fixtures {
    /// A pod with labels, optionally bound to a node, with extra spec fields.
    static func labeledPod(_ name: String, namespace: String = "default", labels: [String: String] = [:],
                           node: String? = nil, priority: Int64? = nil, requests: [String: JSONValue]? = nil,
                           spec: [String: JSONValue] = [:]) -> JSONValue {
        var pod = Fixtures.pod(name, namespace: namespace, requests: requests, spec: spec)
        pod[path: ["metadata", "labels"]] = .object(labels.mapValues { .string($0) })
        if let node { pod[path: ["spec", "nodeName"]] = .string(node) }
        if let priority { pod[path: ["spec", "priority"]] = .int(priority) }
        return pod
    }

    /// `{"labelSelector": {"matchLabels": ...}, "topologyKey": ...}` plus extra fields.
    static func term(_ matchLabels: [String: String], topologyKey: String,
                     extra: [String: JSONValue] = [:]) -> JSONValue {
        var t: [String: JSONValue] = [
            "labelSelector": ["matchLabels": .object(matchLabels.mapValues { .string($0) })],
            "topologyKey": .string(topologyKey),
        ]
        t.merge(extra) { $1 }
        return .object(t)
    }

    /// `spec.affinity` with the given blocks (`podAffinity`/`podAntiAffinity`).
    static func affinity(required: [JSONValue] = [], preferred: [(Int64, JSONValue)] = [],
                         antiRequired: [JSONValue] = [], antiPreferred: [(Int64, JSONValue)] = []) -> [String: JSONValue] {
        func block(_ req: [JSONValue], _ pref: [(Int64, JSONValue)]) -> JSONValue? {
            if req.isEmpty && pref.isEmpty { return nil }
            var b: [String: JSONValue] = [:]
            if !req.isEmpty { b["requiredDuringSchedulingIgnoredDuringExecution"] = .array(req) }
            if !pref.isEmpty {
                b["preferredDuringSchedulingIgnoredDuringExecution"] = .array(pref.map {
                    ["weight": .int($0.0), "podAffinityTerm": $0.1]
                })
            }
            return .object(b)
        }
        var a: [String: JSONValue] = [:]
        if let b = block(required, preferred) { a["podAffinity"] = b }
        if let b = block(antiRequired, antiPreferred) { a["podAntiAffinity"] = b }
        return ["affinity": .object(a)]
    }

    /// A snapshot of nodes (name → labels) and bound pods.
    static func snapshot(_ nodes: [(String, [String: String])], pods: [JSONValue] = [],
                         cluster: ClusterContext = ClusterContext(), cpu: String = "4") -> Snapshot {
        Snapshot(nodes: nodes.map { node($0.0, cpu: cpu, labels: $0.1) }, pods: pods, cluster: cluster)
    }

    /// Runs the plugin's PreFilter and Filter on every node: node name → status (skip = all pass).
    static func filterAll(_ plugin: some PreFilterPlugin & FilterPlugin, pod: JSONValue,
                          snapshot: Snapshot) -> [String: Status] {
        var state = CycleState(snapshot: snapshot)
        let pre = plugin.preFilter(state: &state, pod: pod, nodes: snapshot.nodes)
        var result: [String: Status] = [:]
        for node in snapshot.nodes {
            result[node.name] = pre.isSkip ? .success : plugin.filter(state: state, pod: pod, node: node)
        }
        return result
    }

    /// Runs PreScore, Score and NormalizeScore over the snapshot's nodes (nil when PreScore skipped).
    static func scoreAll(_ plugin: some PreScorePlugin & ScorePlugin, pod: JSONValue,
                         snapshot: Snapshot, nodes: [NodeInfo]? = nil) -> [String: Int64]? {
        var state = CycleState(snapshot: snapshot)
        let feasible = nodes ?? snapshot.nodes
        if plugin.preScore(state: &state, pod: pod, nodes: feasible).isSkip { return nil }
        var scores = feasible.map { NodeScore(name: $0.name, score: plugin.score(state: state, pod: pod, node: $0)) }
        plugin.normalizeScores(state: state, pod: pod, scores: &scores)
        return Dictionary(uniqueKeysWithValues: scores.map { ($0.name, $0.score) })
    }
}
