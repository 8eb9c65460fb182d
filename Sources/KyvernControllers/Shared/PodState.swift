import Foundation
import KyvernAPI

/// Readiness and liveness facts about a pod, read the way upstream's `podutil` reads them.
///
/// Controllers count and rank pods by these few facts; keeping them in one place means the
/// ReplicaSet and Deployment controllers can never disagree about what "available" means.
enum PodState {
    /// The phase, "" when absent.
    static func phase(_ pod: JSONValue) -> String {
        pod[path: ["status", "phase"]]?.stringValue ?? ""
    }

    /// The node the pod is bound to, "" when unscheduled.
    static func nodeName(_ pod: JSONValue) -> String {
        pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
    }

    /// Neither finished nor being deleted: the pods a controller counts as its replicas.
    static func isActive(_ pod: JSONValue) -> Bool {
        let phase = phase(pod)
        return phase != "Succeeded" && phase != "Failed" && pod.deletionTimestamp == nil
    }

    /// Being deleted but not finished: still running until its grace period ends.
    static func isTerminating(_ pod: JSONValue) -> Bool {
        let phase = phase(pod)
        return phase != "Succeeded" && phase != "Failed" && pod.deletionTimestamp != nil
    }

    /// The `Ready` entry of `status.conditions`.
    static func readyCondition(_ pod: JSONValue) -> JSONValue? {
        pod[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        readyCondition(pod)?["status"]?.stringValue == "True"
    }

    /// When the pod last became ready, if it is ready and says so.
    static func readySince(_ pod: JSONValue) -> Date? {
        guard isReady(pod), let text = readyCondition(pod)?["lastTransitionTime"]?.stringValue else { return nil }
        return Timestamp.parse(text)
    }

    /// Ready for at least `minReadySeconds` at `now` (upstream's `IsPodAvailable`).
    static func isAvailable(_ pod: JSONValue, minReadySeconds: Int64, now: Date) -> Bool {
        guard isReady(pod) else { return false }
        if minReadySeconds == 0 { return true }
        guard let since = readySince(pod) else { return false }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) < now
    }

    /// The highest restart count of its containers (init containers included).
    static func maxContainerRestarts(_ pod: JSONValue) -> Int64 {
        let lists = ["containerStatuses", "initContainerStatuses"].compactMap { pod[path: ["status", $0]]?.arrayValue }
        return lists.joined().compactMap { $0["restartCount"]?.intValue }.max() ?? 0
    }

    /// `namespace/name`, the key expectations track deletions by.
    static func key(_ pod: JSONValue) -> String {
        "\(pod.namespace ?? "")/\(pod.name ?? "")"
    }
}
