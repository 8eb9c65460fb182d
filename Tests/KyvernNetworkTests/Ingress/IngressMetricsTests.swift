import CoreMetrics
import Synchronization
import Testing

@testable import KyvernNetwork

/// The proxy's metrics as requests pass through it on loopback.
@Suite("Ingress metrics: requests by code, upstream errors, open connections")
struct IngressMetricsTests {
    @Test func countsAnswersByCodeUpstreamFailuresAndOpenConnections() async throws {
        let recorded = RecordingMetrics()
        let metrics = IngressMetrics(factory: recorded)
        try await IngressProxyTests.withProxy(metrics: metrics) { port, _, _ in
            // the live backend's first endpoint refuses, so the first connection counts one connect failure
            _ = try await IngressProxyTests.exchange(port: port, [
                ("GET / HTTP/1.1\r\nHost: live.test\r\n\r\n", "Host: live.test"),
                ("GET / HTTP/1.1\r\nHost: live.test\r\n\r\n", "Host: live.test"),
            ])
            _ = try await IngressProxyTests.exchange(port: port, [("GET / HTTP/1.1\r\nHost: nobody.test\r\n\r\n", "</html>")])
            _ = try await IngressProxyTests.exchange(port: port, [("GET / HTTP/1.1\r\nHost: empty.test\r\n\r\n", "</html>")])
            #expect(recorded.value(IngressMetrics.requestsName, ["code": "200"]) == 2)
            #expect(recorded.value(IngressMetrics.requestsName, ["code": "404"]) == 1)
            #expect(recorded.value(IngressMetrics.requestsName, ["code": "503"]) == 1)
            #expect(recorded.value(IngressMetrics.upstreamErrorsName, ["reason": "connect"]) >= 1)
            #expect(recorded.value(IngressMetrics.upstreamErrorsName, ["reason": "reset"]) == 0)
            // every client connection closed: the gauge returns to zero once the proxy sees the closes
            for _ in 0..<100 where recorded.value(IngressMetrics.connectionsName, [:]) != 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(recorded.value(IngressMetrics.connectionsName, [:]) == 0)
            #expect(recorded.peak(IngressMetrics.connectionsName) >= 1)
        }
    }
}

/// A swift-metrics backend that keeps each series' value, for asserting on.
final class RecordingMetrics: MetricsFactory, Sendable {
    struct Key: Hashable {
        var label: String
        var dimensions: [String: String]
    }

    let values = Mutex<[Key: Double]>([:])
    let peaks = Mutex<[String: Double]>([:])

    func value(_ label: String, _ dimensions: [String: String]) -> Double {
        values.withLock { $0[Key(label: label, dimensions: dimensions)] ?? 0 }
    }

    func peak(_ label: String) -> Double { peaks.withLock { $0[label] ?? 0 } }

    func add(_ key: Key, _ amount: Double) {
        let now = values.withLock { values in
            values[key, default: 0] += amount
            return values[key] ?? 0
        }
        peaks.withLock { $0[key.label] = max($0[key.label] ?? 0, now) }
    }

    final class Series: CounterHandler, MeterHandler, RecorderHandler, TimerHandler, Sendable {
        let owner: RecordingMetrics
        let key: Key
        init(_ owner: RecordingMetrics, _ key: Key) { (self.owner, self.key) = (owner, key) }
        func increment(by amount: Int64) { owner.add(key, Double(amount)) }
        func reset() {}
        func set(_ value: Int64) {}
        func set(_ value: Double) {}
        func increment(by amount: Double) { owner.add(key, amount) }
        func decrement(by amount: Double) { owner.add(key, -amount) }
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
        func recordNanoseconds(_ duration: Int64) {}
    }

    private func series(_ label: String, _ dimensions: [(String, String)]) -> Series {
        Series(self, Key(label: label, dimensions: Dictionary(dimensions, uniquingKeysWith: { a, _ in a })))
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { series(label, dimensions) }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { series(label, dimensions) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { series(label, dimensions) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { series(label, dimensions) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
