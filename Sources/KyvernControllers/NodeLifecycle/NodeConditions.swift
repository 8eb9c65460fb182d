import Foundation
import KyvernAPI

/// Reading and rewriting a Node's status conditions the way upstream's node lifecycle controller
/// does when a node stops reporting.
enum NodeConditions {
    /// The conditions a kubelet owns; all turn Unknown together when it goes silent.
    static let kubeletOwned = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]

    static func condition(_ type: String, of node: JSONValue) -> JSONValue? {
        node[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// "True", "False", "Unknown", or nil when the node never posted a Ready condition.
    static func readyStatus(_ node: JSONValue) -> String? {
        condition("Ready", of: node)?["status"]?.stringValue
    }

    /// The newest heartbeat the node's own status carries (Ready's `lastHeartbeatTime`).
    static func readyHeartbeat(_ node: JSONValue) -> String? {
        condition("Ready", of: node)?["lastHeartbeatTime"]?.stringValue
    }

    /// The node's conditions with every kubelet-owned one set to Unknown (added when missing),
    /// upstream's messages: "Kubelet stopped posting node status." for a node that reported
    /// before, "Kubelet never posted node status." for one that never did. Conditions already
    /// Unknown keep their transition time. Returns nil when nothing changes.
    static func markedUnknown(_ node: JSONValue, now: Date) -> [JSONValue]? {
        var conditions = node[path: ["status", "conditions"]]?.arrayValue ?? []
        let stamp = JSONValue.string(Timestamp.format(now))
        var changed = false
        for type in kubeletOwned {
            if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
                guard conditions[index]["status"]?.stringValue != "Unknown" else { continue }
                conditions[index]["status"] = "Unknown"
                conditions[index]["reason"] = "NodeStatusUnknown"
                conditions[index]["message"] = "Kubelet stopped posting node status."
                conditions[index]["lastTransitionTime"] = stamp
            } else {
                conditions.append(["type": .string(type), "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.",
                                   "lastHeartbeatTime": node[path: ["metadata", "creationTimestamp"]] ?? stamp,
                                   "lastTransitionTime": stamp])
            }
            changed = true
        }
        return changed ? conditions : nil
    }
}
