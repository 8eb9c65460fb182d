package import CoreMetrics
import Synchronization

/// The proxy's metrics, through swift-metrics so the composition root picks the backend
/// (Prometheus on the component's /metrics): requests answered by status code, failures reaching
/// an endpoint, and client connections open now.
package final class IngressMetrics: Sendable {
    /// Why an endpoint failed a request: the connection was refused or timed out (`connect`),
    /// or it closed before its response was whole (`reset`).
    package enum UpstreamError: String, Sendable, CaseIterable {
        case connect, reset
    }

    package static let requestsName = "kyvern_ingress_requests_total"
    package static let upstreamErrorsName = "kyvern_ingress_upstream_errors_total"
    package static let connectionsName = "kyvern_ingress_active_connections"

    private let factory: any MetricsFactory
    private let connections: Meter
    private let upstreamErrors: [UpstreamError: Counter]
    /// Counters by status code, made on first use and kept, so a request takes one short lock
    /// instead of the factory's lookup.
    private let requests = Mutex<[UInt: Counter]>([:])

    package init(factory: any MetricsFactory) {
        self.factory = factory
        connections = Meter(label: Self.connectionsName, factory: factory)
        upstreamErrors = Dictionary(uniqueKeysWithValues: UpstreamError.allCases.map {
            ($0, Counter(label: Self.upstreamErrorsName, dimensions: [("reason", $0.rawValue)], factory: factory))
        })
    }

    /// Metrics that go nowhere (the benchmark hook, tests that do not look).
    package static var disabled: IngressMetrics { IngressMetrics(factory: NOOPMetricsHandler.instance) }

    package func connectionOpened() { connections.increment() }
    package func connectionClosed() { connections.decrement() }

    /// A response head sent to a client, forwarded or answered by the proxy itself.
    package func answered(code: UInt) {
        let counter = requests.withLock { counters in
            if let known = counters[code] { return known }
            let made = Counter(label: Self.requestsName, dimensions: [("code", String(code))], factory: factory)
            counters[code] = made
            return made
        }
        counter.increment()
    }

    package func upstreamFailed(_ reason: UpstreamError) {
        upstreamErrors[reason]?.increment()
    }
}
