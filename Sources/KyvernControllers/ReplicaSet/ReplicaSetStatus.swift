import Foundation
import KyvernAPI

/// The `status` a ReplicaSet should report for the pods it owns (upstream's `calculateStatus`).
enum ReplicaSetStatus {
    /// Counts `active` (owned, not terminating) pods; `terminating` is the number of owned pods
    /// being deleted. A failed create or delete sets a `ReplicaFailure` condition, a clean sync
    /// removes it. `observedGeneration` is the ReplicaSet's generation.
    static func compute(for rs: JSONValue, active: [JSONValue], terminating: Int, manageError: (any Error)?,
                        now: Date) -> JSONValue {
        let templateLabels = rs[path: ["spec", "template", "metadata", "labels"]]?.objectValue ?? [:]
        let minReadySeconds = rs[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        var fullyLabeled: Int64 = 0, ready: Int64 = 0, available: Int64 = 0
        for pod in active {
            let labels = pod["metadata"]?["labels"]?.objectValue ?? [:]
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value }) { fullyLabeled += 1 }
            if PodState.isReady(pod) {
                ready += 1
                if PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) { available += 1 }
            }
        }
        var conditions = rs[path: ["status", "conditions"]]?.arrayValue ?? []
        let hasFailure = conditions.contains { $0["type"]?.stringValue == "ReplicaFailure" }
        if let manageError, !hasFailure {
            let replicas = rs[path: ["spec", "replicas"]]?.intValue ?? 1
            let diff = Int64(active.count) - replicas
            let reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : ""
            conditions.append([
                "type": "ReplicaFailure", "status": "True",
                "lastTransitionTime": .string(Timestamp.format(now)),
                "reason": .string(reason), "message": .string(errorText(manageError)),
            ])
        } else if manageError == nil, hasFailure {
            conditions.removeAll { $0["type"]?.stringValue == "ReplicaFailure" }
        }
        var status: [String: JSONValue] = ["replicas": .int(Int64(active.count))]
        if fullyLabeled > 0 { status["fullyLabeledReplicas"] = .int(fullyLabeled) }
        if ready > 0 { status["readyReplicas"] = .int(ready) }
        if available > 0 { status["availableReplicas"] = .int(available) }
        status["terminatingReplicas"] = .int(Int64(terminating))
        if let generation = rs.generation, generation > 0 { status["observedGeneration"] = .int(generation) }
        if !conditions.isEmpty { status["conditions"] = .array(conditions) }
        return .object(status)
    }

    /// Whether `rs` must be written: any count, the observed generation or a condition differs.
    static func differs(_ rs: JSONValue, from status: JSONValue) -> Bool {
        let current = rs["status"] ?? .object([:])
        for field in ["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"]
            where (current[field]?.intValue ?? 0) != (status[field]?.intValue ?? 0) {
            return true
        }
        if current["terminatingReplicas"]?.intValue != status["terminatingReplicas"]?.intValue { return true }
        return (current["conditions"]?.arrayValue ?? []) != (status["conditions"]?.arrayValue ?? [])
    }
}
