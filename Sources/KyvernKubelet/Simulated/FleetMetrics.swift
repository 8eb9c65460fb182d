import Prometheus

/// What the fleet reports at `/metrics`: how many nodes it holds and how its writes fare.
struct FleetMetrics: Sendable {
    let registeredNodes: Gauge
    let leaseRenewals: Counter
    let leaseRenewalErrors: Counter
    let heartbeats: Counter
    let heartbeatErrors: Counter
    let podsStarted: Counter
    let podsDeleted: Counter
    let podErrors: Counter

    init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "kyvern", subsystem: "simulated", metricName: metric, unitName: unit, helpText: help)
        }
        registeredNodes = registry.makeGauge(descriptor: name("nodes", "", "Simulated nodes registered by this agent"))
        leaseRenewals = registry.makeCounter(descriptor: name("node_lease_renewals", "total", "Node Lease renewals"))
        leaseRenewalErrors = registry.makeCounter(descriptor: name("node_lease_renewal_errors", "total", "Failed node Lease renewals"))
        heartbeats = registry.makeCounter(descriptor: name("node_status_updates", "total", "Node status heartbeats sent"))
        heartbeatErrors = registry.makeCounter(descriptor: name("node_status_update_errors", "total", "Failed node status heartbeats"))
        podsStarted = registry.makeCounter(descriptor: name("pods_started", "total", "Pods reported Running"))
        podsDeleted = registry.makeCounter(descriptor: name("pods_deleted", "total", "Pod deletions completed"))
        podErrors = registry.makeCounter(descriptor: name("pod_sync_errors", "total", "Failed pod status writes or deletions"))
    }
}
