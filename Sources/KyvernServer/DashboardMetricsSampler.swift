import Foundation
import KyvernAPI
import KyvernClient
import KyvernDashboard
import Logging
import ServiceLifecycle

/// Reads `metrics.k8s.io` (what `kubectl top` reads) every interval, through the admin
/// kubeconfig over loopback like the other in-server components, and remembers the readings in
/// the dashboard's ``DashboardMetricsHistory``. Who may see a series is decided per request, as
/// the user (see `DashboardRoutes.metrics`). A round that fails (no agent yet, an agent down)
/// is skipped: a gap in a chart, not an error.
struct DashboardMetricsSampler: Service {
    let kubeconfig: String
    let history: DashboardMetricsHistory
    let logger: Logger

    /// 15 s, or `KYVERN_DASHBOARD_METRICS_INTERVAL` seconds (tests use a short one).
    static func interval(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration {
        if let text = environment["KYVERN_DASHBOARD_METRICS_INTERVAL"], let seconds = Int(text), seconds > 0 {
            return .seconds(seconds)
        }
        return .seconds(15)
    }

    func run() async throws {
        let configuration = try Kubeconfig.load(path: kubeconfig)
            .configuration(userAgent: "kyvern-dashboard/v1.36.0 (linux) kubernetes/kyvern")
        let client = try APIClient(configuration: configuration, logger: logger)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sampleOnce(client)
                try? await Task.sleep(for: history.interval)
            }
        }
        try? await client.shutdown()
    }

    func sampleOnce(_ client: APIClient) async {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var round: [DashboardMetricsHistory.Key: MetricsSample] = [:]
        do {
            let nodes = try await client.getPath("/apis/metrics.k8s.io/v1beta1/nodes")
            for item in nodes["items"]?.arrayValue ?? [] {
                guard let name = item[path: ["metadata", "name"]]?.stringValue,
                      let sample = Self.sample(item["usage"], at: now) else { continue }
                round[.node(name)] = sample
            }
            let pods = try await client.getPath("/apis/metrics.k8s.io/v1beta1/pods")
            for item in pods["items"]?.arrayValue ?? [] {
                guard let ns = item[path: ["metadata", "namespace"]]?.stringValue,
                      let name = item[path: ["metadata", "name"]]?.stringValue else { continue }
                let parts = (item["containers"]?.arrayValue ?? []).compactMap { Self.sample($0["usage"], at: now) }
                guard !parts.isEmpty else { continue }
                round[.pod(namespace: ns, name: name)] = MetricsSample(
                    time: now, cpuNanocores: parts.reduce(0) { $0 + $1.cpuNanocores },
                    memoryBytes: parts.reduce(0) { $0 + $1.memoryBytes })
            }
        } catch {
            logger.debug("dashboard metrics round skipped", metadata: ["error": "\(error)"])
        }
        await history.record(round, at: now)
    }

    /// A metrics API `usage` (`{"cpu": "12345n", "memory": "2048Ki"}`) as numbers.
    static func sample(_ usage: JSONValue?, at time: Int64) -> MetricsSample? {
        guard let cpuText = usage?["cpu"]?.stringValue, let memoryText = usage?["memory"]?.stringValue,
              let cpu = try? Quantity(parsing: cpuText), let memory = try? Quantity(parsing: memoryText) else { return nil }
        return MetricsSample(time: time, cpuNanocores: cpu.scaledValue(-9), memoryBytes: memory.value)
    }
}
