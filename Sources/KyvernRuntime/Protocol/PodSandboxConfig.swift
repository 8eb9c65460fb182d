/// Identifies a pod to the runtime; attempt counts sandboxes re-created for the same pod.
public struct PodSandboxMetadata: Sendable, Hashable, Codable {
    public var name: String
    public var namespace: String
    public var uid: String
    public var attempt: Int

    public init(name: String, namespace: String, uid: String, attempt: Int = 0) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.attempt = attempt
    }
}

/// Resolver settings written into the sandbox's `/etc/resolv.conf`.
public struct DNSConfig: Sendable, Hashable, Codable {
    public var servers: [String]
    public var searches: [String]
    public var options: [String]

    public init(servers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.servers = servers
        self.searches = searches
        self.options = options
    }
}

/// A container port published on the host (`hostPort`).
public struct PortMapping: Sendable, Hashable, Codable {
    public enum PortProtocol: String, Sendable, Hashable, Codable { case tcp = "TCP", udp = "UDP", sctp = "SCTP" }
    public var portProtocol: PortProtocol
    public var containerPort: Int
    public var hostPort: Int
    public var hostIP: String

    public init(portProtocol: PortProtocol = .tcp, containerPort: Int, hostPort: Int, hostIP: String = "") {
        self.portProtocol = portProtocol
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.hostIP = hostIP
    }
}

/// Which namespaces the pod shares with the node rather than getting its own.
public struct NamespaceOptions: Sendable, Hashable, Codable {
    public var hostNetwork: Bool
    public var hostPID: Bool
    public var hostIPC: Bool

    public init(hostNetwork: Bool = false, hostPID: Bool = false, hostIPC: Bool = false) {
        self.hostNetwork = hostNetwork
        self.hostPID = hostPID
        self.hostIPC = hostIPC
    }
}

/// Everything the runtime needs to make a pod's sandbox.
public struct PodSandboxConfig: Sendable, Hashable, Codable {
    public var metadata: PodSandboxMetadata
    public var hostname: String
    /// Directory under which the pod's container logs are written (`<logDirectory>/<container>/<attempt>.log`).
    public var logDirectory: String
    public var dnsConfig: DNSConfig
    public var portMappings: [PortMapping]
    public var labels: [String: String]
    public var annotations: [String: String]
    /// The pod-level cgroup every container of the pod sits under, relative to the cgroup root
    /// (e.g. `/kyvern/pod<uid>`).
    public var cgroupParent: String
    public var namespaceOptions: NamespaceOptions
    public var sysctls: [String: String]
    /// Pod-level resources (sum of container limits plus overhead), applied to `cgroupParent`.
    public var resources: LinuxResources?

    public init(metadata: PodSandboxMetadata, hostname: String, logDirectory: String, dnsConfig: DNSConfig = .init(),
                portMappings: [PortMapping] = [], labels: [String: String] = [:], annotations: [String: String] = [:],
                cgroupParent: String, namespaceOptions: NamespaceOptions = .init(), sysctls: [String: String] = [:],
                resources: LinuxResources? = nil) {
        self.metadata = metadata
        self.hostname = hostname
        self.logDirectory = logDirectory
        self.dnsConfig = dnsConfig
        self.portMappings = portMappings
        self.labels = labels
        self.annotations = annotations
        self.cgroupParent = cgroupParent
        self.namespaceOptions = namespaceOptions
        self.sysctls = sysctls
        self.resources = resources
    }
}
