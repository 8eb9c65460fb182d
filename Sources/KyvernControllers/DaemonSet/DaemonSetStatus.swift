import Foundation
import KyvernAPI

/// The `status` a DaemonSet reports (upstream's `updateDaemonSetStatus`): per eligible node, whether
/// its oldest pod exists, is ready, available and of the current revision; pods on other nodes are misscheduled.
enum DaemonSetStatus {
    static func compute(ds: JSONValue, nodes: [JSONValue], pods: DaemonPods, hash: String,
                        observeGeneration: Bool, now: Date) -> JSONValue {
        let minReadySeconds = ds[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        var desired: Int64 = 0, current: Int64 = 0, misscheduled: Int64 = 0
        var ready: Int64 = 0, available: Int64 = 0, updated: Int64 = 0
        for node in nodes {
            let onNode = pods.byNode[node.name ?? ""] ?? []
            guard DaemonEligibility.evaluate(node: node, ds: ds).shouldRun else {
                if !onNode.isEmpty { misscheduled += 1 }
                continue
            }
            desired += 1
            guard let pod = onNode.first else { continue }
            current += 1
            if PodState.isReady(pod) {
                ready += 1
                if PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) { available += 1 }
            }
            if DaemonPods.hash(of: pod) == hash { updated += 1 }
        }
        var status = ds["status"]?.objectValue ?? [:]
        status["desiredNumberScheduled"] = .int(desired)
        status["currentNumberScheduled"] = .int(current)
        status["numberMisscheduled"] = .int(misscheduled)
        status["numberReady"] = .int(ready)
        setOrRemove(&status, "updatedNumberScheduled", updated)
        setOrRemove(&status, "numberAvailable", available)
        setOrRemove(&status, "numberUnavailable", desired - available)
        if observeGeneration, let generation = ds.generation { status["observedGeneration"] = .int(generation) }
        return .object(status)
    }

    /// Omitted when zero, as upstream's `omitempty` counts.
    private static func setOrRemove(_ status: inout [String: JSONValue], _ key: String, _ value: Int64) {
        status[key] = value == 0 ? nil : .int(value)
    }

    static func differs(_ ds: JSONValue, from status: JSONValue) -> Bool {
        TemplateEquality.canonical(ds["status"] ?? .object([:])) != TemplateEquality.canonical(status)
    }
}
