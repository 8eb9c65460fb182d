import Foundation
package import Metrics

/// The policy controller's metrics, through swift-metrics (the server hands in its Prometheus
/// factory): how long a sync that loaded rules took, how much it loaded, and failures.
package struct PolicyMetrics: Sendable {
    let syncDuration: Metrics.Timer
    let rules: Gauge
    let isolatedPods: Gauge
    let lastSync: Gauge
    let syncErrors: Counter

    package init(factory: any MetricsFactory) {
        syncDuration = Metrics.Timer(label: "kyvern_network_policy_sync_duration_seconds", factory: factory)
        rules = Gauge(label: "kyvern_network_policy_rules", factory: factory)
        isolatedPods = Gauge(label: "kyvern_network_policy_isolated_pods", factory: factory)
        lastSync = Gauge(label: "kyvern_network_policy_last_sync_timestamp_seconds", factory: factory)
        syncErrors = Counter(label: "kyvern_network_policy_sync_errors_total", factory: factory)
    }

    func synced(rules count: Int, isolatedPods pods: Int, duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        syncDuration.recordNanoseconds(nanoseconds)
        rules.record(count)
        isolatedPods.record(pods)
        lastSync.record(Date().timeIntervalSince1970)
    }

    func failed() { syncErrors.increment() }
}
