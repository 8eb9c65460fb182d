import Foundation

/// A sandbox as stored in `<state>/sandboxes/<id>/sandbox.json`, enough for a new runtime instance
/// to report and tear it down.
struct SandboxRecord: Codable, Sendable, Hashable {
    var id: String
    var config: PodSandboxConfig
    var createdAt: Date
    var state: PodSandboxStatus.State
    var ips: [String]
    /// Empty for host-network pods.
    var networkNamespaceName: String
    var networkNamespacePath: String
    /// The pod's cgroup parent, relative to the hierarchy roots.
    var cgroupParent: String
    var hostsPath: String?
    var resolvConfPath: String?
    var hostnamePath: String?

    var status: PodSandboxStatus {
        PodSandboxStatus(id: id, metadata: config.metadata, state: state, createdAt: createdAt, ips: ips,
                         networkNamespacePath: networkNamespacePath, labels: config.labels, annotations: config.annotations)
    }
}

/// A container as stored in `<state>/containers/<id>/container.json`.
struct ContainerRecord: Codable, Sendable, Hashable {
    var id: String
    var sandboxID: String
    var config: ContainerConfig
    var createdAt: Date
    var imageID: String
    var logPath: String
    /// The container's cgroup, relative to the hierarchy roots; nil without cgroups.
    var cgroupPath: String?
    /// The mounted root filesystem; nil when the container runs on the node's own.
    var rootfs: String?
}

/// Written by the runtime once the shim reported the container running.
struct StartedRecord: Codable, Sendable, Hashable {
    var pid: Int32
    var shimPID: Int32
    var startedAt: Date
}
