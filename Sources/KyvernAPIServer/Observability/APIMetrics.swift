public import Prometheus

/// Request counts and latencies per verb and resource, exposed at `/metrics`.
public struct APIMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func record(verb: String, group: String, version: String, resource: String, subresource: String,
                code: Int, duration: Duration) {
        registry.makeCounter(name: "apiserver_request_total", labels: [
            ("verb", verb), ("group", group), ("version", version), ("resource", resource),
            ("subresource", subresource), ("code", String(code)),
        ]).increment()
        // Watches last for minutes; their duration says nothing about latency.
        guard verb != "WATCH" else { return }
        registry.makeDurationHistogram(name: "apiserver_request_duration_seconds", labels: [
            ("verb", verb), ("group", group), ("version", version), ("resource", resource), ("subresource", subresource),
        ], buckets: Self.buckets).record(duration)
    }

    func watchStarted(_ delta: Int, resource: String) {
        registry.makeGauge(name: "apiserver_longrunning_requests", labels: [("verb", "WATCH"), ("resource", resource)])
            .increment(by: Double(delta))
    }
}
