/// The dashboard's memory of CPU and memory use: a ``MetricsRing`` per node and per pod, fed by
/// the server's sampler from the metrics API every ``interval``, kept for ``window``.
///
/// Bounded twice: each ring holds `window / interval` samples, and at most ``maxSeries`` pods and
/// nodes are remembered (the stalest are forgotten first), so a large cluster cannot grow it.
public actor DashboardMetricsHistory {
    /// What a series belongs to.
    public enum Key: Hashable, Sendable {
        case node(String)
        case pod(namespace: String, name: String)
    }

    public let interval: Duration
    public let window: Duration
    public let maxSeries: Int
    private var rings: [Key: MetricsRing] = [:]

    public init(interval: Duration = .seconds(15), window: Duration = .seconds(3600), maxSeries: Int = 5000) {
        self.interval = interval
        self.window = window
        self.maxSeries = maxSeries
    }

    var capacity: Int {
        let ratio = window / interval
        return max(1, Int(ratio.rounded(.up)))
    }

    /// Adds one round of samples; series absent for longer than the window are dropped.
    public func record(_ round: [Key: MetricsSample], at now: Int64) {
        for (key, sample) in round {
            if rings[key] == nil { rings[key] = MetricsRing(capacity: capacity) }
            rings[key]?.append(sample)
        }
        let oldest = now - Int64(window.components.seconds) * 1000
        rings = rings.filter { ($0.value.latest?.time ?? 0) >= oldest }
        if rings.count > maxSeries {
            let stale = rings.sorted { ($0.value.latest?.time ?? 0) < ($1.value.latest?.time ?? 0) }.prefix(rings.count - maxSeries)
            for (key, _) in stale { rings[key] = nil }
        }
    }

    /// The samples of one series, oldest first (empty if unknown).
    public func series(_ key: Key) -> [MetricsSample] {
        rings[key]?.samples ?? []
    }

    /// The newest sample of every node.
    public func latestNodes() -> [String: MetricsSample] {
        var out: [String: MetricsSample] = [:]
        for (key, ring) in rings {
            if case .node(let name) = key, let latest = ring.latest { out[name] = latest }
        }
        return out
    }

    var seriesCount: Int { rings.count }
}
