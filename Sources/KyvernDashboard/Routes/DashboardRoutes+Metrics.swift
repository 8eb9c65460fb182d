import Foundation

/// `/dashboard/metrics/...`: the remembered CPU and memory samples, each answered only to a user
/// who may read the same thing from `metrics.k8s.io` now (checked as that user, so RBAC decides).
///
/// - `metrics/nodes`: the newest sample of every node (the overview's live figures);
/// - `metrics/nodes/NAME`, `metrics/namespaces/NS/pods/NAME`: the series of the last hour.
extension DashboardRoutes {
    static let metricsAPI = "/apis/metrics.k8s.io/v1beta1"

    func metrics(_ request: Request, path: [String]) async throws -> Response {
        guard let history else { return Self.status(404, "NotFound", "this server keeps no metrics history") }
        let interval = Int(history.interval.components.seconds)
        switch path.count {
        case 1 where path[0] == "nodes":
            try await request.admitGet("\(Self.metricsAPI)/nodes")
            let latest = await history.latestNodes()
            let items: [[String: Any]] = latest.keys.sorted().map { ["name": $0, "sample": Self.encode(latest[$0]!)] }
            return Self.json(200, ["kind": "NodeMetricsLatest", "intervalSeconds": interval, "items": items])
        case 2 where path[0] == "nodes":
            try await request.admitGet("\(Self.metricsAPI)/nodes/\(Self.escape(path[1]))")
            return Self.json(200, ["kind": "MetricsHistory", "intervalSeconds": interval,
                                   "samples": await history.series(.node(path[1])).map(Self.encode)])
        case 4 where path[0] == "namespaces" && path[2] == "pods":
            try await request.admitGet("\(Self.metricsAPI)/namespaces/\(Self.escape(path[1]))/pods/\(Self.escape(path[3]))")
            return Self.json(200, ["kind": "MetricsHistory", "intervalSeconds": interval,
                                   "samples": await history.series(.pod(namespace: path[1], name: path[3])).map(Self.encode)])
        default:
            return Self.status(404, "NotFound", "the dashboard has no metrics/\(path.joined(separator: "/"))")
        }
    }

    static func encode(_ sample: MetricsSample) -> [String: Any] {
        ["t": sample.time, "cpu": sample.cpuNanocores, "memory": sample.memoryBytes]
    }

    /// Percent-encoded, so a segment cannot add segments to the API path whose access is checked.
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? ""
    }
}
