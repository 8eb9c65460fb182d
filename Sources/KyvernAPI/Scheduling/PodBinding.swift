#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What binding a pod to a node (`pods/binding`) does to the stored pod, shared by the API
/// server and the in-memory test client so both refuse and record a binding alike.
public enum PodBinding {
    /// The pod assigned to `node` with `PodScheduled=True`, or the 409 upstream answers when the
    /// binding's UID is not the pod's, the pod is being deleted, or it is already assigned.
    public static func bind(_ current: JSONValue, podName: String, node: String, uid: String?,
                            now: Date = Date()) throws(APIError) -> JSONValue {
        if let uid, !uid.isEmpty, uid != current[path: ["metadata", "uid"]]?.stringValue {
            throw APIError.conflict(group: "", resource: "pods", name: podName,
                                    reason: "the UID in the bind request does not match the pod")
        }
        if current[path: ["metadata", "deletionTimestamp"]] != nil {
            throw APIError.conflict(group: "", resource: "pods", name: podName,
                                    reason: "pod \(podName) is being deleted, cannot be assigned to a host")
        }
        if let assigned = current[path: ["spec", "nodeName"]]?.stringValue, !assigned.isEmpty {
            throw APIError.conflict(group: "", resource: "pods", name: podName,
                                    reason: "pod \(podName) is already assigned to node \"\(assigned)\"")
        }
        var updated = current
        updated[path: ["spec", "nodeName"]] = .string(node)
        var conditions = updated[path: ["status", "conditions"]]?.arrayValue ?? []
        conditions.removeAll { $0["type"]?.stringValue == "PodScheduled" }
        conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null,
                           "lastTransitionTime": .string(Timestamp.format(now))])
        updated[path: ["status", "conditions"]] = .array(conditions)
        return updated
    }
}
