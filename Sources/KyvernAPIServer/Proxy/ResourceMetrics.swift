import AsyncHTTPClient
import Foundation
import KyvernAPI
import Logging
import NIOCore

/// `metrics.k8s.io/v1beta1` NodeMetrics and PodMetrics, as metrics-server serves them, computed
/// from every node agent's `/stats/summary` (CPU as the agent's rate between two samples,
/// memory as the working set). `kubectl top nodes|pods` reads these.
struct ResourceMetrics: Sendable {
    let storage: ObjectStorage
    let agents: NodeAgentClient
    let logger: Logger

    static let group = "metrics.k8s.io"
    static let version = "v1beta1"
    static let window = "10s"

    static func handles(_ target: RequestTarget) -> Bool {
        target.group == group && target.version == version && (target.resource == "nodes" || target.resource == "pods")
            && target.subresource == nil
    }

    func respond(target: RequestTarget, method: String, query: QueryParameters) async throws -> [UInt8] {
        guard method == "GET" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        if target.resource == "nodes" && target.namespace != nil { throw PodStreamingProxyErrors.notFoundPath }
        let selector = try query["labelSelector"].map { try LabelSelector.parse($0) }
        let summaries = await collectSummaries()
        let timestamp = Self.format(Date())
        if target.resource == "nodes" {
            var items: [JSONValue] = []
            for node in await objects(resource: "nodes", namespace: nil) {
                let name = node[path: ["metadata", "name"]]?.stringValue ?? ""
                if let wanted = target.name, wanted != name { continue }
                if let selector, !selector.matches(labelsOf: node) { continue }
                guard let summary = summaries[name], let usage = Self.usage(summary[path: ["node"]]) else { continue }
                items.append([
                    "metadata": Self.metadata(of: node, namespaced: false, timestamp: timestamp),
                    "timestamp": .string(timestamp), "window": .string(Self.window), "usage": usage,
                ])
            }
            return try Self.answer(items, kind: "NodeMetrics", resource: "nodes", name: target.name)
        }
        var podStats: [String: JSONValue] = [:]
        for summary in summaries.values {
            for pod in summary[path: ["pods"]]?.arrayValue ?? [] {
                let ns = pod[path: ["podRef", "namespace"]]?.stringValue ?? ""
                let name = pod[path: ["podRef", "name"]]?.stringValue ?? ""
                podStats["\(ns)/\(name)"] = pod
            }
        }
        var items: [JSONValue] = []
        for pod in await objects(resource: "pods", namespace: target.namespace) {
            let ns = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
            let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
            if let wanted = target.name, wanted != name { continue }
            if let selector, !selector.matches(labelsOf: pod) { continue }
            guard let stats = podStats["\(ns)/\(name)"] else { continue }
            let containers: [JSONValue] = (stats[path: ["containers"]]?.arrayValue ?? []).compactMap { container in
                guard let usage = Self.usage(container) else { return nil }
                return ["name": container[path: ["name"]] ?? "", "usage": usage]
            }
            guard !containers.isEmpty else { continue }
            items.append([
                "metadata": Self.metadata(of: pod, namespaced: true, timestamp: timestamp),
                "timestamp": .string(timestamp), "window": .string(Self.window), "containers": .array(containers),
            ])
        }
        return try Self.answer(items, kind: "PodMetrics", resource: "pods", name: target.name)
    }

    private static func answer(_ items: [JSONValue], kind: String, resource: String, name: String?) throws -> [UInt8] {
        let apiVersion = JSONValue.string("\(group)/\(version)")
        if let name {
            guard var item = items.first else { throw APIError.notFound(group: group, resource: resource, name: name) }
            item["kind"] = .string(kind)
            item["apiVersion"] = apiVersion
            return item.serialized()
        }
        return (["kind": .string("\(kind)List"), "apiVersion": apiVersion, "metadata": [:], "items": .array(items)] as JSONValue).serialized()
    }

    private static func metadata(of object: JSONValue, namespaced: Bool, timestamp: String) -> JSONValue {
        var metadata: JSONValue = ["name": object[path: ["metadata", "name"]] ?? "", "creationTimestamp": .string(timestamp)]
        if namespaced { metadata["namespace"] = object[path: ["metadata", "namespace"]] ?? "" }
        if let labels = object[path: ["metadata", "labels"]] { metadata["labels"] = labels }
        return metadata
    }

    /// `{"cpu": "<n>n", "memory": "<n>Ki"}` from a summary entry; nil until a CPU rate exists.
    static func usage(_ entry: JSONValue?) -> JSONValue? {
        guard let entry, let cores = entry[path: ["cpu", "usageNanoCores"]]?.intValue,
              let workingSet = entry[path: ["memory", "workingSetBytes"]]?.intValue else { return nil }
        return ["cpu": .string("\(cores)n"), "memory": .string("\(workingSet / 1024)Ki")]
    }

    private func objects(resource: String, namespace: String?) async -> [JSONValue] {
        let prefix = StorageKeys.resourcePrefix(group: "", resource: resource)
        let keyPrefix = namespace.map { "\(prefix)\($0)/" } ?? prefix
        return await storage.cache.list(bucket: prefix, keyPrefix: keyPrefix).items.map(\.object)
    }

    /// Every reachable agent's summary by node name; an unreachable node is left out, as
    /// metrics-server leaves out nodes it cannot scrape.
    private func collectSummaries() async -> [String: JSONValue] {
        var targets: [(String, NodeAgentAddress)] = []
        for node in await objects(resource: "nodes", namespace: nil) {
            guard let name = node[path: ["metadata", "name"]]?.stringValue, let address = try? NodeAgentAddress.of(node: node) else { continue }
            targets.append((name, address))
        }
        return await withTaskGroup(of: (String, JSONValue?).self) { group in
            for (name, address) in targets {
                group.addTask { [agents, logger] in
                    do {
                        let response = try await agents.get("\(address.baseURL)/stats/summary", timeout: .seconds(10))
                        let body = try await response.body.collect(upTo: 16 << 20)
                        return (name, try JSONValue.parse(Array(buffer: body)))
                    } catch {
                        logger.debug("stats summary failed", metadata: ["node": "\(name)", "error": "\(error)"])
                        return (name, nil)
                    }
                }
            }
            var result: [String: JSONValue] = [:]
            for await (name, summary) in group { if let summary { result[name] = summary } }
            return result
        }
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

enum PodStreamingProxyErrors {
    static let notFoundPath = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
}
