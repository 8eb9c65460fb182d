import Foundation
import KyvernAPI

/// The status patch that marks a pod unschedulable (or failed by a scheduler error), as
/// upstream's `updatePod` writes it.
enum UnschedulableStatus {
    /// A strategic-merge patch setting `PodScheduled=False/Unschedulable` with `message` (and
    /// `nominatedNodeName` when preemption made room), or nil when the pod already says exactly
    /// that — upstream skips the write then, which matters for pods retried again and again.
    static func patch(for pod: JSONValue, reason: String = "Unschedulable", message: String,
                      nominatedNodeName: String?, now: Date) -> JSONValue? {
        let conditions = pod[path: ["status", "conditions"]]?.arrayValue ?? []
        let current = conditions.first { $0["type"]?.stringValue == "PodScheduled" }
        let currentNominated = pod[path: ["status", "nominatedNodeName"]]?.stringValue ?? ""
        let sameCondition = current?["status"]?.stringValue == "False"
            && current?["reason"]?.stringValue == reason
            && current?["message"]?.stringValue == message
        let sameNomination = nominatedNodeName == nil || nominatedNodeName == currentNominated
        if sameCondition && sameNomination { return nil }

        var status: [String: JSONValue] = [:]
        if !sameCondition {
            // The transition time moves only when the status itself changes.
            let transition = current?["status"]?.stringValue == "False"
                ? (current?["lastTransitionTime"] ?? .string(Timestamp.format(now)))
                : .string(Timestamp.format(now))
            status["conditions"] = [[
                "type": "PodScheduled", "status": "False", "reason": .string(reason),
                "message": .string(message), "lastProbeTime": nil, "lastTransitionTime": transition,
            ]]
        }
        if let nominatedNodeName, !sameNomination { status["nominatedNodeName"] = .string(nominatedNodeName) }
        return ["status": .object(status)]
    }
}
