public import Foundation

/// Usage of one pod sandbox (its cgroup, so processes of the pod outside any container count too)
/// and of its containers, sampled together.
public struct PodSandboxStats: Sendable, Hashable {
    public var sandboxID: String
    public var timestamp: Date
    public var cpuUsageCoreNanoSeconds: UInt64
    public var memoryWorkingSetBytes: UInt64
    public var memoryUsageBytes: UInt64
    public var containers: [ContainerStats]

    public init(sandboxID: String, timestamp: Date, cpuUsageCoreNanoSeconds: UInt64, memoryWorkingSetBytes: UInt64,
                memoryUsageBytes: UInt64, containers: [ContainerStats]) {
        self.sandboxID = sandboxID
        self.timestamp = timestamp
        self.cpuUsageCoreNanoSeconds = cpuUsageCoreNanoSeconds
        self.memoryWorkingSetBytes = memoryWorkingSetBytes
        self.memoryUsageBytes = memoryUsageBytes
        self.containers = containers
    }
}

/// Space and inodes a runtime uses on one filesystem (its image store), as the CRI reports it; the
/// agent adds the filesystem's capacity from the mount point.
public struct FilesystemUsage: Sendable, Hashable {
    public var timestamp: Date
    public var mountpoint: String
    public var usedBytes: UInt64
    public var inodesUsed: UInt64

    public init(timestamp: Date, mountpoint: String, usedBytes: UInt64, inodesUsed: UInt64) {
        self.timestamp = timestamp
        self.mountpoint = mountpoint
        self.usedBytes = usedBytes
        self.inodesUsed = inodesUsed
    }
}
