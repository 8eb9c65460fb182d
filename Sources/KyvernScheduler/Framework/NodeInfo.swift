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

    public let node: JSONValue
    public let name: String
    public let labels: [String: String]
    public let taints: [Taint]
    public let allocatable: Resources
    /// Sum of the pods' requests.
    public private(set) var requested = Resources()
    /// Sum of the pods' requests with scoring defaults for missing cpu/memory.
    public private(set) var nonZeroRequested = Resources()
    public private(set) var usedPorts: [HostPort] = []
    /// Image sizes in bytes by every name the node lists for the image (`status.images`).
    public let images: [String: Int64]
    /// How many nodes of the snapshot hold each image; set by ``Snapshot`` (one shared copy).
    public internal(set) var imageSpread = ImageSpread()
    /// Pods by "namespace/name".
    public private(set) var pods: [String: PodEntry] = [:]
    /// Keys of the pods with any inter-pod affinity or anti-affinity: scoring only has to look at
    /// these when the incoming pod has no preferences of its own.
    public private(set) var affinityPodKeys: Set<String> = []
    /// Keys of the pods with required anti-affinity, which every incoming pod must respect.
    public private(set) var requiredAntiAffinityPodKeys: Set<String> = []

    public init(node: JSONValue, pods: [JSONValue] = []) {
        self.node = node
        name = node[path: ["metadata", "name"]]?.stringValue ?? ""
        labels = (node[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        taints = (node[path: ["spec", "taints"]]?.arrayValue ?? []).map(Taint.init(json:))
        allocatable = Resources(list: node[path: ["status", "allocatable"]])
        var images: [String: Int64] = [:]
        for image in node[path: ["status", "images"]]?.arrayValue ?? [] {
            let size = image["sizeBytes"]?.intValue ?? 0
            for name in image["names"]?.arrayValue ?? [] {
                if let name = name.stringValue { images[name] = size }
            }
        }
        self.images = images
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
        if pods[key] != nil { remove(podKey: key) }
        if let affinity = entry.affinity {
            affinityPodKeys.insert(key)
            if !affinity.requiredAntiAffinity.isEmpty { requiredAntiAffinityPodKeys.insert(key) }
        }
        requested.add(entry.requests.requests)
        nonZeroRequested.add(entry.requests.nonZero)
        usedPorts += entry.hostPorts
        pods[key] = entry
    }

    public mutating func remove(podKey key: String) {
        guard let entry = pods.removeValue(forKey: key) else { return }
        affinityPodKeys.remove(key)
        requiredAntiAffinityPodKeys.remove(key)
        requested.subtract(entry.requests.requests)
        nonZeroRequested.subtract(entry.requests.nonZero)
        for port in entry.hostPorts {
            if let i = usedPorts.firstIndex(of: port) { usedPorts.remove(at: i) }
        }
    }
}
