import Foundation
package import Metrics

/// The proxy's metrics, through swift-metrics (the server hands in its Prometheus factory).
package struct ProxyMetrics: Sendable {
    let syncDuration: Metrics.Timer
    let fullSyncDuration: Metrics.Timer
    /// `kyvern_proxy_rules` per table (nat and filter for iptables, kyvern for nftables).
    let rules: [String: Gauge]
    let lastSync: Gauge
    let syncErrors: Counter

    package init(factory: any MetricsFactory, tables: [String] = ["nat", "filter"]) {
        syncDuration = Metrics.Timer(label: "kyvern_proxy_sync_duration_seconds", dimensions: [("kind", "partial")],
                                     factory: factory)
        fullSyncDuration = Metrics.Timer(label: "kyvern_proxy_sync_duration_seconds", dimensions: [("kind", "full")],
                                         factory: factory)
        rules = Dictionary(uniqueKeysWithValues: tables.map {
            ($0, Gauge(label: "kyvern_proxy_rules", dimensions: [("table", $0)], factory: factory))
        })
        lastSync = Gauge(label: "kyvern_proxy_last_sync_timestamp_seconds", factory: factory)
        syncErrors = Counter(label: "kyvern_proxy_sync_errors_total", factory: factory)
    }

    func synced(_ counts: [String: Int], full: Bool, duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        (full ? fullSyncDuration : syncDuration).recordNanoseconds(nanoseconds)
        for (table, count) in counts { rules[table]?.record(count) }
        lastSync.record(Date().timeIntervalSince1970)
    }

    func failed() { syncErrors.increment() }
}
