import KyvernAPIServer
public import KyvernControllers

/// The node-failure periods and rates `kyvern server` and `kyvern controller-manager` take as
/// flags, with upstream's defaults; tests shorten them.
public struct NodeLifecycleSettings: Sendable {
    public var nodeMonitorPeriod: Duration = .seconds(5)
    public var nodeMonitorGracePeriod: Duration = .seconds(40)
    public var nodeStartupGracePeriod: Duration = .seconds(60)
    public var nodeEvictionRate: Double = 0.1
    public var secondaryNodeEvictionRate: Double = 0.01
    public var largeClusterSizeThreshold: Int = 50
    public var unhealthyZoneThreshold: Double = 0.55
    /// The API server's DefaultTolerationSeconds admission step (server only).
    public var defaultNotReadyTolerationSeconds: Int64 = 300
    public var defaultUnreachableTolerationSeconds: Int64 = 300

    public init() {}

    public func apply(to options: inout ControllerManagerOptions) {
        options.nodeMonitorPeriod = nodeMonitorPeriod
        options.nodeMonitorGracePeriod = nodeMonitorGracePeriod
        options.nodeStartupGracePeriod = nodeStartupGracePeriod
        options.nodeEvictionRate = nodeEvictionRate
        options.secondaryNodeEvictionRate = secondaryNodeEvictionRate
        options.largeClusterSizeThreshold = largeClusterSizeThreshold
        options.unhealthyZoneThreshold = unhealthyZoneThreshold
    }

    var tolerationSeconds: DefaultTolerationSeconds {
        DefaultTolerationSeconds(notReady: defaultNotReadyTolerationSeconds, unreachable: defaultUnreachableTolerationSeconds)
    }
}
