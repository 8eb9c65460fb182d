public import Foundation

/// A sandbox as the runtime sees it now.
public struct PodSandboxStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable { case ready = "SANDBOX_READY", notReady = "SANDBOX_NOTREADY" }

    public var id: String
    public var metadata: PodSandboxMetadata
    public var state: State
    public var createdAt: Date
    /// The pod's IP addresses, primary first; empty for host-network pods (they use the node's).
    public var ips: [String]
    /// Path of the network namespace (`/var/run/netns/...` or `/proc/<pid>/ns/net`), for the network plugin.
    public var networkNamespacePath: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(id: String, metadata: PodSandboxMetadata, state: State, createdAt: Date, ips: [String] = [],
                networkNamespacePath: String = "", labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.id = id
        self.metadata = metadata
        self.state = state
        self.createdAt = createdAt
        self.ips = ips
        self.networkNamespacePath = networkNamespacePath
        self.labels = labels
        self.annotations = annotations
    }
}
