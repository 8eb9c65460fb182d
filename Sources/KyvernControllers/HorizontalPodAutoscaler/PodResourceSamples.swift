import Foundation
import KyvernAPI
import KyvernClient

/// Reads `metrics.k8s.io` PodMetrics of a namespace and sums each pod's containers' usage of
/// one resource, as the controller's metrics client does.
enum PodResourceSamples {
    static func path(namespace: String) -> String { "/apis/metrics.k8s.io/v1beta1/namespaces/\(namespace)/pods" }

    static func fetch(_ client: any KubernetesClient, namespace: String) async throws -> JSONValue {
        try await client.getPath(path(namespace: namespace))
    }

    /// Samples by pod name for `resource`, from a PodMetricsList.
    static func samples(_ list: JSONValue, resource: String) -> [String: ReplicaCalculator.Sample] {
        var result: [String: ReplicaCalculator.Sample] = [:]
        for item in list["items"]?.arrayValue ?? [] {
            guard let name = item[path: ["metadata", "name"]]?.stringValue else { continue }
            var total: Int64 = 0
            var complete = true
            for container in item["containers"]?.arrayValue ?? [] {
                guard let value = container[path: ["usage", resource]].flatMap(ResourceMetricTarget.milli) else { complete = false; break }
                total += value
            }
            guard complete else { continue }
            let timestamp = item["timestamp"]?.stringValue.flatMap(Timestamp.parse) ?? Date()
            let window = item["window"]?.stringValue.flatMap(seconds) ?? 30
            result[name] = ReplicaCalculator.Sample(value: total, timestamp: timestamp, window: window)
        }
        return result
    }

    /// "10s", "1m30s", "1.5s" in seconds.
    static func seconds(_ text: String) -> TimeInterval? {
        var total: Double = 0
        var number = ""
        for ch in text {
            if ch.isNumber || ch == "." { number.append(ch); continue }
            guard let value = Double(number) else { return nil }
            switch ch {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }
}
