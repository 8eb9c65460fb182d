import Foundation
import KyvernAPI

/// The four conditions a kubelet reports, with upstream's reasons and messages.
struct NodeConditionState: Sendable, Hashable {
    var memoryPressure = false
    var diskPressure = false
    var pidPressure = false
    /// nil when Ready; otherwise the message of the KubeletNotReady condition.
    var notReadyMessage: String?

    /// (type, status, reason, message) in upstream's order.
    var rows: [(type: String, status: String, reason: String, message: String)] {
        [
            memoryPressure
                ? ("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
                : ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            diskPressure
                ? ("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")
                : ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            pidPressure
                ? ("PIDPressure", "True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available")
                : ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            notReadyMessage.map { ("Ready", "False", "KubeletNotReady", $0) }
                ?? ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]
    }

    /// The conditions stamped with `heartbeat`; a condition whose status is unchanged from
    /// `previous` keeps its lastTransitionTime, as upstream's setters do.
    func conditions(heartbeat: Date, previous: [JSONValue]) -> [JSONValue] {
        let beat = JSONValue.string(Timestamp.format(heartbeat))
        return rows.map { row in
            let old = previous.first { $0["type"]?.stringValue == row.type }
            let transition = old.flatMap { old in
                old["status"]?.stringValue == row.status ? old["lastTransitionTime"] : nil
            } ?? beat
            return [
                "type": .string(row.type), "status": .string(row.status), "reason": .string(row.reason),
                "message": .string(row.message), "lastHeartbeatTime": beat, "lastTransitionTime": transition,
            ]
        }
    }
}
