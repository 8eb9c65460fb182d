import Foundation
package import Metrics

/// The proxy's metrics, through swift-metrics (the server hands in its Prometheus factory).
package struct ProxyMetrics: Sendable {
    let syncDuration: Metrics.Timer
    let fullSyncDuration: Metrics.Timer
    let natRules: Gauge
    let filterRules: Gauge
    let lastSync: Gauge
    let syncErrors: Counter

    package init(factory: any MetricsFactory) {
        syncDuration = Metrics.Timer(label: "kyvern_proxy_sync_duration_seconds", dimensions: [("kind", "partial")],
                                     factory: factory)
        fullSyncDuration = Metrics.Timer(label: "kyvern_proxy_sync_duration_seconds", dimensions: [("kind", "full")],
                                         factory: factory)
        natRules = Gauge(label: "kyvern_proxy_rules", dimensions: [("table", "nat")], factory: factory)
        filterRules = Gauge(label: "kyvern_proxy_rules", dimensions: [("table", "filter")], factory: factory)
        lastSync = Gauge(label: "kyvern_proxy_last_sync_timestamp_seconds", factory: factory)
        syncErrors = Counter(label: "kyvern_proxy_sync_errors_total", factory: factory)
    }

    func synced(_ rules: RuleSet, full: Bool, duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        (full ? fullSyncDuration : syncDuration).recordNanoseconds(nanoseconds)
        natRules.record(rules.nat.chains.reduce(0) { $0 + $1.rules.count })
        filterRules.record(rules.filter.chains.reduce(0) { $0 + $1.rules.count })
        lastSync.record(Date().timeIntervalSince1970)
    }

    func failed() { syncErrors.increment() }
}
