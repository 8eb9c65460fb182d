public import KyvernAPI

/// A node as the scheduler sees it: its object plus the totals of the pods bound or assumed
/// to it, so filters compare requests against what is left without walking every pod.
public struct NodeInfo: Sendable {
    /// A pod counted on the node, with its requests computed once.
    public struct PodEntry: Sendable {
        public var pod: JSONValue
        public var requests: PodRequests
        public var hostPorts: [HostPort]
        public var namespace: String
        public var labels: [String: String]
        /// `spec.priority` (0 when unset).
        public var priority: Int64
        /// A pod being deleted no longer counts for topology spreading.
        public var terminating: Bool
        /// nil when the pod has no inter-pod affinity or anti-affinity.
        public var affinity: PodAffinityInfo?

        public init(pod: JSONValue) {
            self.pod = pod
            requests = PodRequests(pod: pod)
            hostPorts = HostPort.of(pod: pod)
            namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
            labels = PodFacts.labels(of: pod)
            priority = PodFacts.priority(of: pod)
            let deletion = pod[path: ["metadata", "deletionTimestamp"]]
            terminating = deletion != nil && deletion != .null
            affinity = PodAffinityInfo(pod: pod)
        }

        public var key: String { namespace + "/" + (pod[path: ["metadata", "name"]]?.stringValue ?? "") }
    }

    /// Every field lives in one reference-counted box, so copying a NodeInfo (the framework
    /// hands nodes around by value thousands of times per pod) costs one retain; mutation copies
    /// the box first when it is shared.
    final class Storage: @unchecked Sendable {
        let node: JSONValue
        let name: String
        let labels: [String: String]
        let taints: [Taint]
        let unschedulable: Bool
        let allocatable: Resources
        let images: [String: Int64]
        var requested = Resources()
        var nonZeroRequested = Resources()
        var usedPorts: [HostPort] = []
        var imageSpread = ImageSpread()
        var pods: [String: PodEntry] = [:]
        var affinityPodKeys: Set<String> = []
        var requiredAntiAffinityPodKeys: Set<String> = []
        var groupCounts: [PodGroupKey: Int] = [:]
        var termCounts: [ExistingTermKey: Int] = [:]

        init(node: JSONValue) {
            self.node = node
            name = node[path: ["metadata", "name"]]?.stringValue ?? ""
            labels = (node[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            taints = (node[path: ["spec", "taints"]]?.arrayValue ?? []).map(Taint.init(json:))
            unschedulable = node[path: ["spec", "unschedulable"]]?.boolValue == true
            allocatable = Resources(list: node[path: ["status", "allocatable"]])
            var images: [String: Int64] = [:]
            for image in node[path: ["status", "images"]]?.arrayValue ?? [] {
                let size = image["sizeBytes"]?.intValue ?? 0
                for name in image["names"]?.arrayValue ?? [] {
                    if let name = name.stringValue { images[name] = size }
                }
            }
            self.images = images
        }

        init(copying other: Storage) {
            node = other.node
            name = other.name
            labels = other.labels
            taints = other.taints
            unschedulable = other.unschedulable
            allocatable = other.allocatable
            images = other.images
            requested = other.requested
            nonZeroRequested = other.nonZeroRequested
            usedPorts = other.usedPorts
            imageSpread = other.imageSpread
            pods = other.pods
            affinityPodKeys = other.affinityPodKeys
            requiredAntiAffinityPodKeys = other.requiredAntiAffinityPodKeys
            groupCounts = other.groupCounts
            termCounts = other.termCounts
        }
    }

    private var storage: Storage

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
        return storage
    }

    public var node: JSONValue { storage.node }
    public var name: String { storage.name }
    public var labels: [String: String] { storage.labels }
    public var taints: [Taint] { storage.taints }
    /// `spec.unschedulable` (cordoned).
    public var unschedulable: Bool { storage.unschedulable }
    public var allocatable: Resources { storage.allocatable }
    /// Sum of the pods' requests.
    public var requested: Resources { storage.requested }
    /// Sum of the pods' requests with scoring defaults for missing cpu/memory.
    public var nonZeroRequested: Resources { storage.nonZeroRequested }
    public var usedPorts: [HostPort] { storage.usedPorts }
    /// Image sizes in bytes by every name the node lists for the image (`status.images`).
    public var images: [String: Int64] { storage.images }
    /// How many nodes of the snapshot hold each image; set by ``Snapshot`` (one shared copy).
    public internal(set) var imageSpread: ImageSpread {
        get { storage.imageSpread }
        set { unique().imageSpread = newValue }
    }
    /// Pods by "namespace/name".
    public var pods: [String: PodEntry] { storage.pods }
    /// Keys of the pods with any inter-pod affinity or anti-affinity: scoring only has to look at
    /// these when the incoming pod has no preferences of its own.
    public var affinityPodKeys: Set<String> { storage.affinityPodKeys }
    /// Keys of the pods with required anti-affinity, which every incoming pod must respect.
    public var requiredAntiAffinityPodKeys: Set<String> { storage.requiredAntiAffinityPodKeys }
    /// The node's pods per ``PodGroupKey``: selectors match groups, so counting matching pods
    /// looks at a few groups instead of every pod.
    public var groupCounts: [PodGroupKey: Int] { storage.groupCounts }
    /// The node's pods' inter-pod affinity terms, each with how many pods carry it.
    public var termCounts: [ExistingTermKey: Int] { storage.termCounts }

    /// Pods on the node that `matches` accepts, counted by group.
    public func countPods(where matches: (PodGroupKey) -> Bool) -> Int {
        var n = 0
        for (group, count) in storage.groupCounts where matches(group) { n += count }
        return n
    }

    public init(node: JSONValue, pods: [JSONValue] = []) {
        storage = Storage(node: node)
        for pod in pods { add(pod: pod) }
    }

    public var podCount: Int { pods.count }

    public var podsWithAffinity: [PodEntry] { affinityPodKeys.compactMap { pods[$0] } }
    public var podsWithRequiredAntiAffinity: [PodEntry] { requiredAntiAffinityPodKeys.compactMap { pods[$0] } }

    public static func key(of pod: JSONValue) -> String {
        let ns = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        return ns + "/" + name
    }

    /// Counts a pod on this node (replacing an earlier copy of the same pod).
    public mutating func add(pod: JSONValue) {
        add(entry: PodEntry(pod: pod))
    }

    /// Counts an already parsed pod (preemption puts reprieved victims back this way).
    public mutating func add(entry: PodEntry) {
        let key = entry.key
        if storage.pods[key] != nil { remove(podKey: key) }
        let box = unique()
        if let affinity = entry.affinity {
            box.affinityPodKeys.insert(key)
            if !affinity.requiredAntiAffinity.isEmpty { box.requiredAntiAffinityPodKeys.insert(key) }
            for term in entry.existingTerms { box.termCounts[term, default: 0] += 1 }
        }
        box.groupCounts[entry.groupKey, default: 0] += 1
        box.requested.add(entry.requests.requests)
        box.nonZeroRequested.add(entry.requests.nonZero)
        box.usedPorts += entry.hostPorts
        box.pods[key] = entry
    }

    public mutating func remove(podKey key: String) {
        guard storage.pods[key] != nil else { return }
        let box = unique()
        guard let entry = box.pods.removeValue(forKey: key) else { return }
        box.affinityPodKeys.remove(key)
        box.requiredAntiAffinityPodKeys.remove(key)
        let group = entry.groupKey
        box.groupCounts[group, default: 0] -= 1
        if box.groupCounts[group] == 0 { box.groupCounts[group] = nil }
        for term in entry.existingTerms {
            box.termCounts[term, default: 0] -= 1
            if box.termCounts[term] == 0 { box.termCounts[term] = nil }
        }
        box.requested.subtract(entry.requests.requests)
        box.nonZeroRequested.subtract(entry.requests.nonZero)
        for port in entry.hostPorts {
            if let i = box.usedPorts.firstIndex(of: port) { box.usedPorts.remove(at: i) }
        }
    }
}
