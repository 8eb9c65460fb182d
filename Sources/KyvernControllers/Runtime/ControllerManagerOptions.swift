/// What `kyvern controller-manager` (and the manager inside `kyvern server`) runs and how.
public struct ControllerManagerOptions: Sendable {
    /// Upstream's `--controllers` syntax: `*` enables every controller on by default, `name`
    /// enables one, `-name` disables one.
    public var controllers: [String] = ["*"]
    /// Workers per controller by name: "replicaset" for `--concurrent-replicaset-syncs` …
    public var concurrentSyncs: [String: Int] = [:]
    /// Run controllers only while holding the leader Lease.
    public var leaderElect: Bool = true
    public var leaderElectionNamespace: String = "kube-system"
    public var leaderElectionName: String = "kube-controller-manager"
    /// This instance's name in the Lease; host name plus a random suffix when nil.
    public var identity: String?
    /// The range node pod ranges come from (`--cluster-cidr`), a /24 per node.
    public var clusterCIDR: String = "10.42.0.0/16"
    /// Node lifecycle: how often node health is checked, how long a node may go without a Lease
    /// renewal or status heartbeat before it turns Ready=Unknown, and the same for a node that
    /// never posted a Ready condition (`--node-monitor-period`, `--node-monitor-grace-period`,
    /// `--node-startup-grace-period`).
    public var nodeMonitorPeriod: Duration = .seconds(5)
    public var nodeMonitorGracePeriod: Duration = .seconds(40)
    public var nodeStartupGracePeriod: Duration = .seconds(60)
    /// Nodes per second whose pods may be evicted (NoExecute-tainted) in a healthy zone, and in a
    /// partially disrupted zone of a large cluster (`--node-eviction-rate`, `--secondary-node-eviction-rate`).
    public var nodeEvictionRate: Double = 0.1
    public var secondaryNodeEvictionRate: Double = 0.01
    /// Zones with at most this many nodes stop evicting when partially disrupted (`--large-cluster-size-threshold`).
    public var largeClusterSizeThreshold: Int = 50
    /// Share of not-ready nodes (at least 3) that makes a zone partially disrupted (`--unhealthy-zone-threshold`).
    public var unhealthyZoneThreshold: Double = 0.55
    /// Autoscaling: how often each HorizontalPodAutoscaler syncs, the scale-down stabilization
    /// window of autoscalers without one of their own, and the usage ratio tolerance
    /// (`--horizontal-pod-autoscaler-sync-period`, `-downscale-stabilization`, `-tolerance`).
    public var horizontalPodAutoscalerSyncPeriod: Duration = .seconds(15)
    public var horizontalPodAutoscalerDownscaleStabilization: Duration = .seconds(300)
    public var horizontalPodAutoscalerTolerance: Double = 0.1
    /// The cluster CA the root-ca-cert-publisher puts in every namespace's `kube-root-ca.crt`
    /// (upstream's `--root-ca-file`); by default the one the manager's kubeconfig trusts.
    public var rootCACertificatePEM: String?
    /// Where LoadBalancer Services get their addresses (`--lb-address-pool`); empty: the nodes' addresses.
    public var loadBalancerAddressPool = try! LoadBalancerAddressPool([])

    public init() {}

    /// Upstream's worker defaults where they differ from 5 (the taint eviction controller's 8 is
    /// its `UpdateWorkerSize`; it bounds how fast a failed node's pods are evicted), and more for
    /// the volume binder and provisioner: each claim costs them several writes in a row (binding
    /// is two, the hand-over one more), a write waits for the store's commit, and the store commits
    /// concurrent writes together. Their syncs are almost all waiting on the API, so workers are
    /// cheap: with 16, 100 claims at once still waited 280 ms on average for a worker
    /// (`workqueue_queue_duration_seconds`, bench/storage), and the provisioner's 16 left a burst
    /// of claims placed together 400 ms between selected-node and their volume.
    static let defaultWorkers = ["daemonset": 2, "tainteviction": 8, "persistentvolume-binder": 64,
                                 "volume-provisioner": 64]

    /// Workers for `controller`, upstream's default (5 for most controllers) unless configured.
    public func workers(for controller: String) -> Int {
        concurrentSyncs[controller] ?? Self.defaultWorkers[controller] ?? 5
    }

    /// Whether `definition` runs under `controllers`.
    public func isEnabled(_ definition: ControllerDefinition) -> Bool {
        let names = Set([definition.name] + definition.aliases)
        if controllers.contains(where: { $0.hasPrefix("-") && names.contains(String($0.dropFirst())) }) { return false }
        if controllers.contains(where: { names.contains($0) }) { return true }
        return controllers.contains("*") && definition.enabledByDefault
    }

    /// Names in `controllers` (without a leading `-`) that name no known controller.
    public func unknownControllers(among known: [ControllerDefinition]) -> [String] {
        let names = Set(known.flatMap { [$0.name] + $0.aliases })
        return controllers.map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 }
            .filter { $0 != "*" && !names.contains($0) }
    }
}
