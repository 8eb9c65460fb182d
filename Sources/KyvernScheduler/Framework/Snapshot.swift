public import KyvernAPI

/// The nodes a scheduling cycle works on, frozen for the cycle so every plugin sees the same
/// cluster. Order is stable (node name), which makes tie-breaking reproducible.
public struct Snapshot: Sendable {
    public private(set) var nodes: [NodeInfo]
    private var index: [String: Int]
    /// Indices of the nodes holding pods with (required anti-)affinity, kept so the affinity
    /// plugins do not walk every node for every pod.
    private var affinityNodes: Set<Int> = []
    private var antiAffinityNodes: Set<Int> = []
    /// Pods per topology domain, for the plugins that count over the whole cluster.
    public private(set) var topology = TopologyIndex()
    /// Namespaces, Services, controllers, PDBs and storage objects for the plugins that need them.
    public var cluster = ClusterContext()
    /// Pods nominated to each node (by node name) and not bound yet: their room is held for
    /// them against pods of equal or lower priority (see ``Framework/runFilters(state:pod:node:)``).
    public var nominatedPods: [String: [NodeInfo.PodEntry]] = [:]

    public init(nodes: [NodeInfo], cluster: ClusterContext = ClusterContext()) {
        var sorted = nodes.sorted { $0.name < $1.name }
        let spread = ImageSpread(nodes: sorted)
        for i in sorted.indices { sorted[i].imageSpread = spread }
        self.nodes = sorted
        self.cluster = cluster
        index = Dictionary(uniqueKeysWithValues: self.nodes.enumerated().map { ($1.name, $0) })
        for i in self.nodes.indices {
            noteAffinity(i)
            topology.add(self.nodes[i])
        }
    }

    private mutating func noteAffinity(_ i: Int) {
        if !nodes[i].affinityPodKeys.isEmpty { affinityNodes.insert(i) }
        if !nodes[i].requiredAntiAffinityPodKeys.isEmpty { antiAffinityNodes.insert(i) }
    }

    /// Builds NodeInfos from node objects and the pods assigned to them by `spec.nodeName`.
    public init(nodes: [JSONValue], pods: [JSONValue], cluster: ClusterContext = ClusterContext()) {
        var byNode: [String: [JSONValue]] = [:]
        for pod in pods {
            if let node = pod[path: ["spec", "nodeName"]]?.stringValue, !node.isEmpty {
                byNode[node, default: []].append(pod)
            }
        }
        self.init(nodes: nodes.map { node in
            NodeInfo(node: node, pods: byNode[node[path: ["metadata", "name"]]?.stringValue ?? ""] ?? [])
        }, cluster: cluster)
    }

    public subscript(name: String) -> NodeInfo? {
        index[name].map { nodes[$0] }
    }

    /// Counts an assumed pod on its node before its binding lands.
    public mutating func assume(pod: JSONValue, on nodeName: String) {
        guard let i = index[nodeName] else { return }
        let old = nodes[i]
        nodes[i].add(pod: pod)
        topology.replace(old, with: nodes[i])
        noteAffinity(i)
    }

    /// Swaps in a newer copy of a node already in the snapshot (its pods or object changed, its
    /// images did not), keeping the snapshot-wide image spread and the affinity bookkeeping. Lets
    /// a cache refresh only the nodes that changed instead of rebuilding thousands each cycle.
    /// False when the node is not in the snapshot.
    public mutating func replace(_ info: NodeInfo) -> Bool {
        guard let i = index[info.name] else { return false }
        var info = info
        info.imageSpread = nodes[i].imageSpread
        topology.replace(nodes[i], with: info)
        nodes[i] = info
        affinityNodes.remove(i)
        antiAffinityNodes.remove(i)
        noteAffinity(i)
        return true
    }

    /// Nodes holding a pod with inter-pod affinity or anti-affinity of any kind (in no particular
    /// order: callers only count over them).
    public var nodesWithAffinityPods: [NodeInfo] { affinityNodes.map { nodes[$0] } }
    /// Whether any node holds a pod with required anti-affinity.
    public var hasRequiredAntiAffinityPods: Bool { !antiAffinityNodes.isEmpty }
    /// Nodes holding a pod with required anti-affinity.
    public var nodesWithRequiredAntiAffinityPods: [NodeInfo] { antiAffinityNodes.map { nodes[$0] } }
}
