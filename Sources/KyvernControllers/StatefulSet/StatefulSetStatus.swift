import Foundation
import KyvernAPI

/// The `status` a StatefulSet reports (upstream's `computeReplicaStatus` and `completeRollingUpdate`).
enum StatefulSetStatus {
    static func compute(set: JSONValue, pods: [JSONValue], current: String, update: String, now: Date) -> JSONValue {
        let minReadySeconds = set[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        var replicas: Int64 = 0, ready: Int64 = 0, available: Int64 = 0, currentCount: Int64 = 0, updated: Int64 = 0
        for pod in pods {
            let created = !PodState.phase(pod).isEmpty
            if created { replicas += 1 }
            if StatefulSetController.isRunningAndReady(pod) {
                ready += 1
                if PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) { available += 1 }
            }
            if created && pod.deletionTimestamp == nil {
                let revision = StatefulPodIdentity.revision(of: pod)
                if revision == current { currentCount += 1 }
                if revision == update { updated += 1 }
            }
        }
        var currentRevision = current
        if set[path: ["spec", "updateStrategy", "type"]]?.stringValue == "RollingUpdate"
            && updated == replicas && ready == replicas {
            currentCount = updated
            currentRevision = update
        }
        var status: [String: JSONValue] = [
            "replicas": .int(replicas), "availableReplicas": .int(available),
            "collisionCount": .int(set[path: ["status", "collisionCount"]]?.intValue ?? 0),
            "currentRevision": .string(currentRevision), "updateRevision": .string(update),
        ]
        if let generation = set.generation { status["observedGeneration"] = .int(generation) }
        if ready > 0 { status["readyReplicas"] = .int(ready) }
        if currentCount > 0 { status["currentReplicas"] = .int(currentCount) }
        if updated > 0 { status["updatedReplicas"] = .int(updated) }
        if let conditions = set[path: ["status", "conditions"]] { status["conditions"] = conditions }
        return .object(status)
    }

    static func differs(_ set: JSONValue, from status: JSONValue) -> Bool {
        TemplateEquality.canonical(set["status"] ?? .object([:])) != TemplateEquality.canonical(status)
    }
}
