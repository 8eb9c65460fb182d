/// How the agent's HTTPS endpoint finds the runtime's containers for a pod's names; the pod
/// workers implement it, since only they know which attempt is current.
public protocol ContainerLookup: Sendable {
    /// The pod's sandbox and its containers' current and previous attempts; nil when this node
    /// runs no pod of that name.
    func pod(namespace: String, name: String) async -> PodContainers?
    /// Every pod the node runs now (for `/stats/summary`).
    func pods() async -> [PodContainers]
}

/// One pod as the runtime knows it.
public struct PodContainers: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var uid: String
    public var sandboxID: String?
    public var containers: [String: ContainerAttempts]

    public init(namespace: String, name: String, uid: String, sandboxID: String?, containers: [String: ContainerAttempts]) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.sandboxID = sandboxID
        self.containers = containers
    }
}

/// The runtime ids of a container's current attempt and the one before it (`--previous`).
public struct ContainerAttempts: Sendable, Hashable {
    public var current: String?
    public var previous: String?

    public init(current: String?, previous: String? = nil) {
        self.current = current
        self.previous = previous
    }
}
