import ArgumentParser
import KyvernServer

/// Upstream's node lifecycle flags, shared by `kyvern server` and `kyvern controller-manager`.
struct NodeLifecycleFlags: ParsableArguments {
    @Option(help: "How often node health is checked, e.g. 5s.")
    var nodeMonitorPeriod: String = "5s"

    @Option(help: "How long a node may go without renewing its Lease before it is marked Ready=Unknown, e.g. 40s.")
    var nodeMonitorGracePeriod: String = "40s"

    @Option(help: "The same for a node that never reported Ready, e.g. 60s.")
    var nodeStartupGracePeriod: String = "60s"

    @Option(help: "Nodes per second whose pods may be evicted in a healthy zone.")
    var nodeEvictionRate: Double = 0.1

    @Option(help: "Nodes per second whose pods may be evicted in a partially disrupted large zone.")
    var secondaryNodeEvictionRate: Double = 0.01

    @Option(help: "Zones with at most this many nodes stop evicting when partially disrupted.")
    var largeClusterSizeThreshold: Int = 50

    @Option(help: "Share of not-ready nodes (at least 3) that makes a zone partially disrupted.")
    var unhealthyZoneThreshold: Double = 0.55

    @Option(help: "tolerationSeconds new pods get for the not-ready NoExecute taint.")
    var defaultNotReadyTolerationSeconds: Int64 = 300

    @Option(help: "tolerationSeconds new pods get for the unreachable NoExecute taint.")
    var defaultUnreachableTolerationSeconds: Int64 = 300

    func validate() throws {
        for (flag, value) in [("--node-monitor-period", nodeMonitorPeriod), ("--node-monitor-grace-period", nodeMonitorGracePeriod),
                              ("--node-startup-grace-period", nodeStartupGracePeriod)]
        where ServerOptions.parseDuration(value) == nil {
            throw ValidationError("\(flag): not a duration: \(value)")
        }
        guard nodeEvictionRate >= 0, secondaryNodeEvictionRate >= 0 else {
            throw ValidationError("--node-eviction-rate and --secondary-node-eviction-rate must not be negative")
        }
    }

    var settings: NodeLifecycleSettings {
        var settings = NodeLifecycleSettings()
        settings.nodeMonitorPeriod = ServerOptions.parseDuration(nodeMonitorPeriod) ?? .seconds(5)
        settings.nodeMonitorGracePeriod = ServerOptions.parseDuration(nodeMonitorGracePeriod) ?? .seconds(40)
        settings.nodeStartupGracePeriod = ServerOptions.parseDuration(nodeStartupGracePeriod) ?? .seconds(60)
        settings.nodeEvictionRate = nodeEvictionRate
        settings.secondaryNodeEvictionRate = secondaryNodeEvictionRate
        settings.largeClusterSizeThreshold = largeClusterSizeThreshold
        settings.unhealthyZoneThreshold = unhealthyZoneThreshold
        settings.defaultNotReadyTolerationSeconds = defaultNotReadyTolerationSeconds
        settings.defaultUnreachableTolerationSeconds = defaultUnreachableTolerationSeconds
        return settings
    }
}
