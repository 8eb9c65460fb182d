import Foundation
import KyvernAPI

/// The taints the node lifecycle controller keeps on a node to match its conditions
/// (upstream's taint-nodes-by-condition and NoExecute tainting).
enum NodeTaints {
    static let notReady = "node.kubernetes.io/not-ready"
    static let unreachable = "node.kubernetes.io/unreachable"
    static let unschedulable = "node.kubernetes.io/unschedulable"

    /// Condition and status → NoSchedule taint key, as upstream's `nodeConditionToTaintKeyStatusMap`.
    static let conditionTaints: [(condition: String, status: String, key: String)] = [
        ("Ready", "False", notReady),
        ("Ready", "Unknown", unreachable),
        ("MemoryPressure", "True", "node.kubernetes.io/memory-pressure"),
        ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
        ("NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"),
        ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
    ]

    /// Keys of every NoSchedule taint this controller owns.
    static let managedNoScheduleKeys: Set<String> = Set(conditionTaints.map(\.key) + [unschedulable])

    /// The NoSchedule taint keys `node`'s conditions and `spec.unschedulable` call for.
    static func desiredNoSchedule(_ node: JSONValue) -> Set<String> {
        var keys = Set<String>()
        for entry in conditionTaints where NodeConditions.condition(entry.condition, of: node)?["status"]?.stringValue == entry.status {
            keys.insert(entry.key)
        }
        if node[path: ["spec", "unschedulable"]]?.boolValue == true { keys.insert(unschedulable) }
        return keys
    }

    /// The NoExecute taint key the Ready condition calls for, nil when the node is Ready (or has
    /// not reported yet: a node is only evicted once it was seen and then went silent or bad).
    static func desiredNoExecute(_ node: JSONValue) -> String? {
        switch NodeConditions.readyStatus(node) {
        case "False": notReady
        case "Unknown": unreachable
        default: nil
        }
    }

    static func taints(of node: JSONValue) -> [JSONValue] {
        node[path: ["spec", "taints"]]?.arrayValue ?? []
    }

    /// The node's NoExecute taint keys among not-ready and unreachable.
    static func currentNoExecute(_ node: JSONValue) -> Set<String> {
        Set(taints(of: node).compactMap { taint in
            guard taint["effect"]?.stringValue == "NoExecute", let key = taint["key"]?.stringValue,
                  key == notReady || key == unreachable else { return nil }
            return key
        })
    }

    /// `taints` with the managed NoSchedule taints replaced by `noSchedule` and the not-ready /
    /// unreachable NoExecute taints by `noExecute` (kept with their `timeAdded` when unchanged);
    /// every other taint is left in place and in order.
    static func reconciled(_ taints: [JSONValue], noSchedule: Set<String>, noExecute: String?, now: Date) -> [JSONValue] {
        var result: [JSONValue] = []
        var present = Set<String>()
        for taint in taints {
            let key = taint["key"]?.stringValue ?? ""
            switch taint["effect"]?.stringValue {
            case "NoSchedule" where managedNoScheduleKeys.contains(key):
                guard noSchedule.contains(key), present.insert("NoSchedule/" + key).inserted else { continue }
            case "NoExecute" where key == notReady || key == unreachable:
                guard key == noExecute, present.insert("NoExecute/" + key).inserted else { continue }
            default:
                break
            }
            result.append(taint)
        }
        for key in noSchedule.sorted() where !present.contains("NoSchedule/" + key) {
            result.append(["key": .string(key), "effect": "NoSchedule"])
        }
        if let noExecute, !present.contains("NoExecute/" + noExecute) {
            result.append(["key": .string(noExecute), "effect": "NoExecute", "timeAdded": .string(Timestamp.format(now))])
        }
        return result
    }
}
