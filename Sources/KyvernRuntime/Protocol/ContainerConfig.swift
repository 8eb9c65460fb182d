/// Identifies a container inside its sandbox; attempt counts restarts (the CRI's restart count).
public struct ContainerMetadata: Sendable, Hashable, Codable {
    public var name: String
    public var attempt: Int

    public init(name: String, attempt: Int = 0) {
        self.name = name
        self.attempt = attempt
    }
}

/// A bind mount from the node into the container (volumes, `/etc/hosts`, service account tokens).
public struct Mount: Sendable, Hashable, Codable {
    public var containerPath: String
    public var hostPath: String
    public var readOnly: Bool
    /// Mount a single file or directory below `hostPath` (`subPath`), already resolved by the agent.
    public init(containerPath: String, hostPath: String, readOnly: Bool = false) {
        self.containerPath = containerPath
        self.hostPath = hostPath
        self.readOnly = readOnly
    }
}

/// Linux capabilities to add to or drop from the runtime's default set (names without `CAP_`).
public struct Capabilities: Sendable, Hashable, Codable {
    public var add: [String]
    public var drop: [String]

    public init(add: [String] = [], drop: [String] = []) {
        self.add = add
        self.drop = drop
    }
}

/// The parts of a container's `securityContext` the runtime enforces.
public struct LinuxContainerSecurityContext: Sendable, Hashable, Codable {
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var supplementalGroups: [Int64]
    public var readOnlyRootFilesystem: Bool
    public var privileged: Bool
    public var capabilities: Capabilities
    public var noNewPrivileges: Bool

    public init(runAsUser: Int64? = nil, runAsGroup: Int64? = nil, supplementalGroups: [Int64] = [],
                readOnlyRootFilesystem: Bool = false, privileged: Bool = false, capabilities: Capabilities = .init(),
                noNewPrivileges: Bool = false) {
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.supplementalGroups = supplementalGroups
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.privileged = privileged
        self.capabilities = capabilities
        self.noNewPrivileges = noNewPrivileges
    }
}

/// cgroup limits, computed by the agent from requests and limits as upstream's kubelet does
/// (shares from the cpu request, quota from the cpu limit over a 100 ms period, memory limit).
public struct LinuxResources: Sendable, Hashable, Codable {
    public var cpuShares: Int64?
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    public var memoryLimitInBytes: Int64?
    public var pidsLimit: Int64?

    public init(cpuShares: Int64? = nil, cpuQuota: Int64? = nil, cpuPeriod: Int64? = nil,
                memoryLimitInBytes: Int64? = nil, pidsLimit: Int64? = nil) {
        self.cpuShares = cpuShares
        self.cpuQuota = cpuQuota
        self.cpuPeriod = cpuPeriod
        self.memoryLimitInBytes = memoryLimitInBytes
        self.pidsLimit = pidsLimit
    }
}

/// Everything the runtime needs to create one container.
public struct ContainerConfig: Sendable, Hashable, Codable {
    public var metadata: ContainerMetadata
    /// The image reference as the pod names it; the runtime resolves it in its image store.
    public var image: String
    /// Overrides the image's ENTRYPOINT when not empty (the pod's `command`).
    public var command: [String]
    /// Overrides the image's CMD when not empty (the pod's `args`).
    public var args: [String]
    public var workingDir: String
    /// Ordered: later entries win, as in the pod spec (`$(VAR)` references already expanded by the agent).
    public var env: [EnvVar]
    public var mounts: [Mount]
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Relative to the sandbox's `logDirectory`, e.g. `app/0.log`.
    public var logPath: String
    public var stdin: Bool
    public var stdinOnce: Bool
    public var tty: Bool
    public var resources: LinuxResources
    public var securityContext: LinuxContainerSecurityContext

    public init(metadata: ContainerMetadata, image: String, command: [String] = [], args: [String] = [],
                workingDir: String = "", env: [EnvVar] = [], mounts: [Mount] = [], labels: [String: String] = [:],
                annotations: [String: String] = [:], logPath: String, stdin: Bool = false, stdinOnce: Bool = false,
                tty: Bool = false, resources: LinuxResources = .init(), securityContext: LinuxContainerSecurityContext = .init()) {
        self.metadata = metadata
        self.image = image
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.mounts = mounts
        self.labels = labels
        self.annotations = annotations
        self.logPath = logPath
        self.stdin = stdin
        self.stdinOnce = stdinOnce
        self.tty = tty
        self.resources = resources
        self.securityContext = securityContext
    }
}

/// One environment variable.
public struct EnvVar: Sendable, Hashable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
