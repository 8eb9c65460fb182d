import Foundation
import KyvernAPI

/// The pod statuses a kubelet reports once containers run and once they stopped; no I/O.
///
/// Nothing is started: the status says what a kubelet would say had it started every container,
/// with ids under `simulated://`.
enum PodStatusBuilder {
    /// `status` of a pod whose containers all run and are ready (init containers completed, sidecars
    /// running), on a node with address `hostIP`, with `podIP`.
    static func running(pod: JSONValue, hostIP: String, podIP: String, now: Date) -> JSONValue {
        let stamp = JSONValue.string(Timestamp.format(now))
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        let spec = pod["spec"]
        let existing = pod["status"]
        let scheduledAt = condition("PodScheduled", in: existing)?["lastTransitionTime"] ?? stamp
        let gates = (spec?["readinessGates"]?.arrayValue ?? []).compactMap { $0["conditionType"]?.stringValue }
        let missingGate = gates.first { gate in condition(gate, in: existing)?["status"]?.stringValue != "True" }

        var conditions: [JSONValue] = [
            podCondition("PodReadyToStartContainers", "True", at: stamp),
            podCondition("Initialized", "True", at: stamp),
        ]
        if let missingGate {
            var ready = podCondition("Ready", "False", at: stamp)
            ready["reason"] = "ReadinessGatesNotReady"
            ready["message"] = .string("corresponding condition of pod readiness gate \"\(missingGate)\" does not exist.")
            conditions.append(ready)
        } else {
            conditions.append(podCondition("Ready", "True", at: stamp))
        }
        conditions.append(podCondition("ContainersReady", "True", at: stamp))
        conditions.append(podCondition("PodScheduled", "True", at: scheduledAt))
        // Conditions other components own (readiness gates, DisruptionTarget, ...) stay.
        let ours: Set<String> = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        conditions += (existing?["conditions"]?.arrayValue ?? []).filter {
            !ours.contains($0["type"]?.stringValue ?? "")
        }

        var status: [String: JSONValue] = [
            "phase": "Running",
            "conditions": .array(conditions),
            "hostIP": .string(hostIP), "hostIPs": [["ip": .string(hostIP)]],
            "podIP": .string(podIP), "podIPs": [["ip": .string(podIP)]],
            "startTime": stamp,
            "containerStatuses": .array((spec?["containers"]?.arrayValue ?? []).map {
                containerStatus($0, pod: uid, state: ["running": ["startedAt": stamp]], ready: true, started: true)
            }),
        ]
        let initContainers = spec?["initContainers"]?.arrayValue ?? []
        if !initContainers.isEmpty {
            status["initContainerStatuses"] = .array(initContainers.map { container in
                if container["restartPolicy"]?.stringValue == "Always" {  // a sidecar keeps running
                    return containerStatus(container, pod: uid, state: ["running": ["startedAt": stamp]],
                                           ready: true, started: true)
                }
                let done: JSONValue = ["terminated": [
                    "exitCode": 0, "reason": "Completed", "startedAt": stamp, "finishedAt": stamp,
                    "containerID": .string(containerID(pod: uid, container: container)),
                ]]
                return containerStatus(container, pod: uid, state: done, ready: true, started: false)
            })
        }
        if let qos = existing?["qosClass"] { status["qosClass"] = qos }
        return .object(status)
    }

    /// `status` of a pod being deleted once its containers stopped: all exited 0 after SIGTERM, so the
    /// pod is Succeeded, as a kubelet reports before the final delete.
    static func terminated(pod: JSONValue, now: Date) -> JSONValue {
        let stamp = JSONValue.string(Timestamp.format(now))
        var status = pod["status"]?.objectValue ?? [:]
        status["phase"] = "Succeeded"
        var conditions = status["conditions"]?.arrayValue ?? []
        for i in conditions.indices {
            let type = conditions[i]["type"]?.stringValue
            if type == "Ready" || type == "ContainersReady" {
                if conditions[i]["status"]?.stringValue != "False" { conditions[i]["lastTransitionTime"] = stamp }
                conditions[i]["status"] = "False"
                conditions[i]["reason"] = "PodCompleted"
                conditions[i]["message"] = nil
            }
        }
        status["conditions"] = .array(conditions)
        for key in ["containerStatuses", "initContainerStatuses"] {
            guard let statuses = status[key]?.arrayValue else { continue }
            status[key] = .array(statuses.map { stop($0, at: stamp) })
        }
        return .object(status)
    }

    /// What the agent does about a pod bound to one of its nodes.
    enum Action: Sendable, Hashable {
        case none
        case markRunning
        /// Deletion was requested: stop the containers and complete the deletion.
        case terminate
    }

    static func action(for pod: JSONValue) -> Action {
        if pod[path: ["metadata", "deletionTimestamp"]]?.stringValue != nil { return .terminate }
        let status = pod["status"]
        switch status?["phase"]?.stringValue {
        case "Succeeded", "Failed": return .none
        case "Running":
            let containers = pod[path: ["spec", "containers"]]?.arrayValue?.count ?? 0
            let reported = status?["containerStatuses"]?.arrayValue?.count ?? 0
            let hasIP = status?["podIP"]?.stringValue?.isEmpty == false
            return hasIP && reported == containers ? .none : .markRunning
        default: return .markRunning
        }
    }

    // MARK: pieces

    static func condition(_ type: String, in status: JSONValue?) -> JSONValue? {
        status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    static func podCondition(_ type: String, _ status: String, at stamp: JSONValue) -> JSONValue {
        ["type": .string(type), "status": .string(status), "lastTransitionTime": stamp]
    }

    static func containerID(pod uid: String, container: JSONValue) -> String {
        "simulated://" + NodeBuilder.machineID(uid + "/" + (container["name"]?.stringValue ?? ""))
            + NodeBuilder.machineID((container["name"]?.stringValue ?? "") + "/" + uid)
    }

    static func containerStatus(_ container: JSONValue, pod uid: String, state: JSONValue, ready: Bool,
                                started: Bool) -> JSONValue {
        let image = container["image"]?.stringValue ?? ""
        return [
            "name": container["name"] ?? "",
            "image": .string(image),
            "imageID": .string("simulated://" + image),
            "containerID": .string(containerID(pod: uid, container: container)),
            "state": state,
            "lastState": [:],
            "ready": .bool(ready),
            "started": .bool(started),
            "restartCount": 0,
        ]
    }

    static func stop(_ status: JSONValue, at stamp: JSONValue) -> JSONValue {
        var status = status
        if let running = status[path: ["state", "running"]] {
            status["state"] = ["terminated": [
                "exitCode": 0, "reason": "Completed",
                "startedAt": running["startedAt"] ?? stamp, "finishedAt": stamp,
                "containerID": status["containerID"] ?? .null,
            ]]
        }
        status["ready"] = false
        status["started"] = false
        return status
    }
}
