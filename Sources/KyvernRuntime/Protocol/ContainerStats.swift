public import Foundation

/// Usage of one container at one instant, from its cgroup; CPU is cumulative so that a rate can be
/// computed between two samples (as `metrics.k8s.io` and `kubectl top` need).
public struct ContainerStats: Sendable, Hashable, Codable {
    public var containerID: String
    public var timestamp: Date
    public var cpuUsageCoreNanoSeconds: UInt64
    /// Memory in use minus inactive file cache, the figure upstream reports as the working set.
    public var memoryWorkingSetBytes: UInt64
    public var memoryUsageBytes: UInt64

    public init(containerID: String, timestamp: Date, cpuUsageCoreNanoSeconds: UInt64, memoryWorkingSetBytes: UInt64,
                memoryUsageBytes: UInt64) {
        self.containerID = containerID
        self.timestamp = timestamp
        self.cpuUsageCoreNanoSeconds = cpuUsageCoreNanoSeconds
        self.memoryWorkingSetBytes = memoryWorkingSetBytes
        self.memoryUsageBytes = memoryUsageBytes
    }
}
