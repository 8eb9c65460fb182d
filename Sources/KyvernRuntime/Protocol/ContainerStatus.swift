public import Foundation

/// A container as the runtime sees it now. Exit code and reason are what the agent turns into
/// `containerStatuses[].state.terminated` (reason `OOMKilled` when the memory cgroup killed it).
public struct ContainerStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        case created = "CONTAINER_CREATED", running = "CONTAINER_RUNNING", exited = "CONTAINER_EXITED", unknown = "CONTAINER_UNKNOWN"
    }

    public var id: String
    public var sandboxID: String
    public var metadata: ContainerMetadata
    public var state: State
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    /// `OOMKilled`, `Error`, `Completed` or empty, as upstream's runtimes report.
    public var reason: String
    public var message: String
    /// The image reference from the config and the resolved image id (`sha256:...`).
    public var image: String
    public var imageID: String
    /// Absolute path of the container's log file (CRI log format).
    public var logPath: String
    /// The main process's pid on the node while running (for adoption checks and `ps`).
    public var pid: Int32?
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(id: String, sandboxID: String, metadata: ContainerMetadata, state: State, createdAt: Date,
                startedAt: Date? = nil, finishedAt: Date? = nil, exitCode: Int32? = nil, reason: String = "",
                message: String = "", image: String, imageID: String = "", logPath: String, pid: Int32? = nil,
                labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.id = id
        self.sandboxID = sandboxID
        self.metadata = metadata
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
        self.image = image
        self.imageID = imageID
        self.logPath = logPath
        self.pid = pid
        self.labels = labels
        self.annotations = annotations
    }
}

/// Narrows `listContainers`; nil fields match everything.
public struct ContainerFilter: Sendable, Hashable {
    public var sandboxID: String?
    public var state: ContainerStatus.State?

    public init(sandboxID: String? = nil, state: ContainerStatus.State? = nil) {
        self.sandboxID = sandboxID
        self.state = state
    }
}
