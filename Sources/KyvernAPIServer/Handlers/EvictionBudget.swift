import Foundation
import KyvernAPI

/// The Eviction subresource's budget check, as upstream's: a pod selected by one
/// PodDisruptionBudget is evicted only while the budget allows a disruption, and each eviction
/// takes one from `disruptionsAllowed` and lists the pod in `disruptedPods` in the same write, so
/// parallel evictions (`kubectl drain`) cannot overdraw it before the controller recounts.
enum EvictionBudget {
    static func charge(pod: JSONValue, storage: ObjectStorage, cache: WatchCache, info: ResourceInfo,
                       namespace: String?, dryRun: Bool) async throws {
        let labels = (pod[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let budgets = await cache.list(bucket: StorageKeys.resourcePrefix(group: "policy", resource: "poddisruptionbudgets"),
                                       keyPrefix: StorageKeys.prefix(info, namespace: namespace)).items
            .map(\.object).filter { budget in
                guard let selector = try? LabelSelector(labelSelector: budget[path: ["spec", "selector"]] ?? [:]) else { return false }
                return selector.matches(labels)
            }
        guard let budget = budgets.first else { return }
        guard budgets.count == 1 else {
            throw APIError(code: 500, reason: "InternalError",
                           message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
        }
        let name = budget[path: ["metadata", "name"]]?.stringValue ?? ""
        let podName = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        // A pod that is not ready may go while the budget is met without it (IfHealthyBudget).
        let ready = pod[path: ["status", "conditions"]]?.arrayValue?.contains {
            $0["type"] == "Ready" && $0["status"] == "True" } ?? false
        if !ready, (budget[path: ["status", "currentHealthy"]]?.intValue ?? 0) >= (budget[path: ["status", "desiredHealthy"]]?.intValue ?? 0),
           budget[path: ["status", "observedGeneration"]] != nil {
            return
        }
        let key = StorageKeys.key(info, namespace: namespace, name: name)
        _ = try await storage.update(info, key: key, name: name) { current in
            try Self.check(current, name: name)
            var updated = current
            updated[path: ["status", "disruptionsAllowed"]] = .int((current[path: ["status", "disruptionsAllowed"]]?.intValue ?? 0) - 1)
            var disrupted = current[path: ["status", "disruptedPods"]]?.objectValue ?? [:]
            disrupted[podName] = .string(Timestamp.format(Date()))
            updated[path: ["status", "disruptedPods"]] = .object(disrupted)
            if dryRun { return current }
            return updated
        }
    }

    /// Refuses with upstream's 429 when the budget is not yet counted or allows no disruption.
    static func check(_ budget: JSONValue, name: String) throws {
        let generation = budget[path: ["metadata", "generation"]]?.intValue ?? 0
        guard let observed = budget[path: ["status", "observedGeneration"]]?.intValue, observed >= generation else {
            throw tooManyRequests(cause: "The disruption budget \(name) is still being processed by the server.")
        }
        guard (budget[path: ["status", "disruptionsAllowed"]]?.intValue ?? 0) >= 1 else {
            let desired = budget[path: ["status", "desiredHealthy"]]?.intValue ?? 0
            let current = budget[path: ["status", "currentHealthy"]]?.intValue ?? 0
            throw tooManyRequests(cause: "The disruption budget \(name) needs \(desired) healthy pods and has \(current) currently")
        }
    }

    static func tooManyRequests(cause: String) -> APIError {
        APIError(code: 429, reason: "TooManyRequests", message: "Cannot evict pod as it would violate the pod's disruption budget.",
                 details: .init(causes: [.init(type: "DisruptionBudget", message: cause, field: "")]))
    }
}
