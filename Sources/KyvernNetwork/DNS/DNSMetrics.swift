package import CoreMetrics

/// The DNS server's Prometheus series, through swift-metrics so the composition root picks the
/// backend: requests by question type and rcode (CoreDNS's `coredns_dns_responses_total`
/// shape), request latency, and forwarded queries by outcome.
package struct DNSMetrics: Sendable {
    let factory: any MetricsFactory

    package init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Metrics that go nowhere (tests).
    package static var disabled: DNSMetrics { DNSMetrics(factory: NOOPMetricsHandler.instance) }

    /// One answered (or dropped) request. Types outside the known set count as "other".
    func request(type: DNSRecordType?, rcode: String, transport: DNSTransport, duration: Duration) {
        Counter(label: "kyvern_dns_requests_total",
                dimensions: [("type", type?.metricLabel ?? "none"), ("rcode", rcode)], factory: factory).increment()
        let (seconds, attoseconds) = duration.components
        Timer(label: "kyvern_dns_request_duration_seconds", dimensions: [("proto", transport.rawValue)], factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// One question sent to the upstreams: "success", "truncated_retry" or "failure".
    func forward(_ outcome: String) {
        Counter(label: "kyvern_dns_forward_requests_total", dimensions: [("result", outcome)], factory: factory).increment()
    }
}

/// How a query arrived, for the answer's size limit and for metrics.
package enum DNSTransport: String, Sendable {
    case udp
    case tcp
}
