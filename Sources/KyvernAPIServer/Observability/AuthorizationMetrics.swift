public import Prometheus

/// How long RBAC decisions take and how they went, at `/metrics`
/// (`apiserver_authorization_duration_seconds`, `apiserver_authorization_decisions_total`).
/// Members of `system:masters` are decided without RBAC and not recorded.
public struct AuthorizationMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    static let buckets: [Duration] = [
        .microseconds(2), .microseconds(5), .microseconds(10), .microseconds(20), .microseconds(30),
        .microseconds(40), .microseconds(50), .microseconds(75), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
    ]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func record(allowed: Bool, duration: Duration) {
        let decision = allowed ? "allowed" : "denied"
        registry.makeCounter(name: "apiserver_authorization_decisions_total", labels: [("decision", decision)]).increment()
        registry.makeDurationHistogram(name: "apiserver_authorization_duration_seconds", labels: [("decision", decision)],
                                       buckets: Self.buckets).record(duration)
    }
}
