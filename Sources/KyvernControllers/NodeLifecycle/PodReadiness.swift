import Foundation
import KyvernAPI

/// Upstream's MarkPodsNotReady: when the node lifecycle controller itself finds a node silent and
/// sets its Ready condition to Unknown, the pods on that node can no longer tell anyone they are
/// ready, so their Ready condition turns False for them. Endpoints then drop them at once,
/// instead of after the NoExecute taint's eviction.
enum PodReadiness {
    /// The pod's conditions with Ready set to False (transition time `now`), or nil when the pod
    /// has no Ready condition that is True (nothing to change).
    static func markedNotReady(_ pod: JSONValue, now: Date) -> [JSONValue]? {
        var conditions = pod[path: ["status", "conditions"]]?.arrayValue ?? []
        guard let index = conditions.firstIndex(where: { $0["type"]?.stringValue == "Ready" }),
              conditions[index]["status"]?.stringValue == "True" else { return nil }
        conditions[index]["status"] = "False"
        conditions[index]["lastTransitionTime"] = .string(Timestamp.format(now))
        return conditions
    }
}
