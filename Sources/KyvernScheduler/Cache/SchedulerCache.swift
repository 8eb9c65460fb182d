public import KyvernAPI

/// The scheduler's view of nodes and the pods on them, kept from informer events, plus the pods
/// it has assumed onto nodes whose bindings have not landed yet.
///
/// An assumed pod counts against its node at once, so the next cycle does not hand the same
/// room to another pod while the binding is in flight; the informer's copy confirms it, a
/// failed binding forgets it.
///
/// ``snapshot()`` is called once per scheduling cycle. It reuses the previous snapshot and swaps
/// in only the nodes that changed since, so a cycle on 5,000 nodes does not rebuild 5,000
/// NodeInfos; only adding or removing a node (or a change of its images) rebuilds it all.
public actor SchedulerCache {
    struct PodState: Sendable {
        var pod: JSONValue
        var nodeName: String
        var assumed: Bool
        var bindingFinished = false
    }

    private var nodeObjects: [String: JSONValue] = [:]
    private var infos: [String: NodeInfo] = [:]
    private var pods: [String: PodState] = [:]
    /// Pod keys by node name, including nodes the cache has not seen yet.
    private var podsByNode: [String: Set<String>] = [:]

    private var cached: Snapshot?
    private var structureDirty = true
    private var dirtyNodes: Set<String> = []

    public init() {}

    public var nodeCount: Int { infos.count }
    public var podCount: Int { pods.count }

    public func isAssumed(_ key: String) -> Bool { pods[key]?.assumed ?? false }

    /// The node a pod is counted on, assumed or confirmed.
    public func nodeName(ofPod key: String) -> String? { pods[key]?.nodeName }

    // MARK: nodes

    public func addNode(_ node: JSONValue) {
        guard let name = node[path: ["metadata", "name"]]?.stringValue else { return }
        let images = nodeObjects[name]?[path: ["status", "images"]]
        let existed = infos[name] != nil
        nodeObjects[name] = node
        rebuild(name)
        if !existed || images != node[path: ["status", "images"]] {
            structureDirty = true
        } else {
            dirtyNodes.insert(name)
        }
    }

    /// Ignores updates that change nothing a plugin reads (heartbeats, conditions), which with
    /// thousands of nodes are most node updates.
    public func updateNode(old: JSONValue?, new: JSONValue) {
        guard let name = new[path: ["metadata", "name"]]?.stringValue else { return }
        if let current = nodeObjects[name], !Self.schedulingFieldsDiffer(current, new) { return }
        addNode(new)
    }

    public func removeNode(_ node: JSONValue) {
        guard let name = node[path: ["metadata", "name"]]?.stringValue else { return }
        nodeObjects[name] = nil
        infos[name] = nil
        dirtyNodes.remove(name)
        structureDirty = true
    }

    static func schedulingFieldsDiffer(_ a: JSONValue, _ b: JSONValue) -> Bool {
        a["spec"] != b["spec"] || a[path: ["metadata", "labels"]] != b[path: ["metadata", "labels"]]
            || a[path: ["status", "allocatable"]] != b[path: ["status", "allocatable"]]
            || a[path: ["status", "images"]] != b[path: ["status", "images"]]
    }

    // MARK: assumed pods

    public enum CacheError: Error, Sendable, Hashable {
        case alreadyPresent(String)
    }

    /// Counts `pod` on `nodeName` before its binding lands.
    public func assume(_ pod: JSONValue, on nodeName: String) throws(CacheError) {
        let key = NodeInfo.key(of: pod)
        guard pods[key] == nil else { throw .alreadyPresent(key) }
        var pod = pod
        pod[path: ["spec", "nodeName"]] = .string(nodeName)
        place(key, PodState(pod: pod, nodeName: nodeName, assumed: true))
    }

    /// The binding request succeeded; the pod stays assumed until the informer shows it.
    public func finishBinding(_ key: String) {
        pods[key]?.bindingFinished = true
    }

    /// The binding failed: the pod no longer counts anywhere.
    public func forget(_ key: String) {
        guard pods[key]?.assumed == true else { return }
        unplace(key)
    }

    // MARK: assigned pods from the informer

    /// An assigned pod appeared; confirms it when it was assumed (on whichever node it really
    /// landed).
    public func addPod(_ pod: JSONValue) {
        guard let nodeName = pod[path: ["spec", "nodeName"]]?.stringValue, !nodeName.isEmpty else { return }
        let key = NodeInfo.key(of: pod)
        if pods[key] != nil { unplace(key) }
        place(key, PodState(pod: pod, nodeName: nodeName, assumed: false))
    }

    public func updatePod(old: JSONValue?, new: JSONValue) {
        addPod(new)
    }

    public func removePod(_ pod: JSONValue) {
        unplace(NodeInfo.key(of: pod))
    }

    // MARK: snapshot

    /// The nodes for one scheduling cycle.
    public func snapshot() -> Snapshot {
        if structureDirty || cached == nil {
            cached = Snapshot(nodes: Array(infos.values))
            structureDirty = false
        } else if !dirtyNodes.isEmpty {
            for name in dirtyNodes {
                if let info = infos[name], cached?.replace(info) == false { structureDirty = true }
            }
            if structureDirty {
                cached = Snapshot(nodes: Array(infos.values))
                structureDirty = false
            }
        }
        dirtyNodes.removeAll(keepingCapacity: true)
        return cached!
    }

    // MARK: internals

    private func place(_ key: String, _ state: PodState) {
        pods[key] = state
        podsByNode[state.nodeName, default: []].insert(key)
        if infos[state.nodeName] != nil {
            infos[state.nodeName]!.add(pod: state.pod)
            dirtyNodes.insert(state.nodeName)
        }
    }

    private func unplace(_ key: String) {
        guard let state = pods.removeValue(forKey: key) else { return }
        podsByNode[state.nodeName]?.remove(key)
        if podsByNode[state.nodeName]?.isEmpty == true { podsByNode[state.nodeName] = nil }
        if infos[state.nodeName] != nil {
            infos[state.nodeName]!.remove(podKey: key)
            dirtyNodes.insert(state.nodeName)
        }
    }

    private func rebuild(_ name: String) {
        guard let node = nodeObjects[name] else { return }
        let onNode = (podsByNode[name] ?? []).compactMap { pods[$0]?.pod }
        infos[name] = NodeInfo(node: node, pods: onNode)
    }
}
