import KyvernAPI

/// Pods: NAME READY STATUS RESTARTS AGE, wide IP NODE NOMINATED NODE READINESS GATES.
///
/// STATUS is upstream's one-word summary: the phase, overridden by the pod's reason, then by
/// the first init container still working ("Init:1/3", "Init:CrashLoopBackOff"), then by the
/// main containers' waiting or terminated reasons, and finally "Terminating" while deleting.
enum PodPrinter {
    static let succeeded: JSONValue = [["type": "Completed", "status": "True", "reason": "Succeeded",
                                        "message": "The pod has completed successfully."]]
    static let failed: JSONValue = [["type": "Completed", "status": "True", "reason": "Failed",
                                     "message": "The pod failed."]]

    static func row(_ pod: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = pod["spec"] ?? [:]
        let status = pod["status"] ?? [:]
        let phase = status.text("phase")
        let conditions = status.list("conditions")
        var reason = phase
        if let r = status["reason"]?.stringValue, !r.isEmpty { reason = r }
        if conditions.contains(where: { $0.text("type") == "PodScheduled" && $0.text("reason") == "SchedulingGated" }) {
            reason = "SchedulingGated"
        }

        let initSpecs = spec.list("initContainers")
        var restartable: Set<String> = []
        for container in initSpecs where container.text("restartPolicy") == "Always" {
            restartable.insert(container.text("name"))
        }
        let total = spec.count("containers") + restartable.count
        var ready = 0
        var restarts: Int64 = 0
        var sidecarRestarts: Int64 = 0
        var lastRestart: Int64? = nil
        var lastSidecarRestart: Int64? = nil

        var initializing = false
        for (index, container) in status.list("initContainerStatuses").enumerated() {
            restarts += container.number("restartCount")
            let finished = finishedAt(container)
            lastRestart = later(lastRestart, finished)
            let isSidecar = restartable.contains(container.text("name"))
            if isSidecar {
                sidecarRestarts += container.number("restartCount")
                lastSidecarRestart = later(lastSidecarRestart, finished)
            }
            let terminated = container.at("state", "terminated")
            let waiting = container.at("state", "waiting")
            if let terminated, terminated.number("exitCode") == 0 {
                continue
            } else if isSidecar, container["started"]?.boolValue == true {
                if container["ready"]?.boolValue == true { ready += 1 }
                continue
            } else if let terminated {
                let why = terminated.text("reason")
                if !why.isEmpty {
                    reason = "Init:" + why
                } else if terminated.number("signal") != 0 {
                    reason = "Init:Signal:\(terminated.number("signal"))"
                } else {
                    reason = "Init:ExitCode:\(terminated.number("exitCode"))"
                }
            } else if let waiting, !waiting.text("reason").isEmpty, waiting.text("reason") != "PodInitializing" {
                reason = "Init:" + waiting.text("reason")
            } else {
                reason = "Init:\(index)/\(initSpecs.count)"
            }
            initializing = true
            break
        }

        if !initializing || PrintFormat.conditionIsTrue(conditions, "Initialized") {
            restarts = sidecarRestarts
            lastRestart = lastSidecarRestart
            var hasRunning = false
            for container in status.list("containerStatuses").reversed() {
                restarts += container.number("restartCount")
                lastRestart = later(lastRestart, finishedAt(container))
                let waitingReason = container.at("state", "waiting")?.text("reason") ?? ""
                let terminated = container.at("state", "terminated")
                if !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let terminated, !terminated.text("reason").isEmpty {
                    reason = terminated.text("reason")
                } else if let terminated {
                    reason = terminated.number("signal") != 0
                        ? "Signal:\(terminated.number("signal"))" : "ExitCode:\(terminated.number("exitCode"))"
                } else if container["ready"]?.boolValue == true, container.at("state", "running") != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed", hasRunning {
                let ready = conditions.contains { $0.text("type") == "Ready" && $0.text("status") == "True" }
                reason = ready ? "Running" : "NotReady"
            }
        }

        if pod.isDeleting {
            if status.text("reason") == "NodeLost" {
                reason = "Unknown"
            } else if phase != "Succeeded", phase != "Failed" {
                reason = "Terminating"
            }
        }

        var restartText = String(restarts)
        if restarts != 0, let lastRestart {
            restartText += " (\(HumanDuration.format(microseconds: context.now - lastRestart)) ago)"
        }

        let ip = status.list("podIPs").first?.text("ip") ?? ""
        let node = spec.text("nodeName")
        let nominated = status.text("nominatedNodeName")
        var gates = "<none>"
        let readinessGates = spec.list("readinessGates")
        if !readinessGates.isEmpty {
            let passing = readinessGates.filter { gate in
                PrintFormat.condition(conditions, gate.text("conditionType"))?.text("status") == "True"
            }.count
            gates = "\(passing)/\(readinessGates.count)"
        }
        let cells: [JSONValue] = [
            .string(pod.printedName), .string("\(ready)/\(total)"), .string(reason), .string(restartText),
            .string(context.age(pod)),
            .string(ip.isEmpty ? "<none>" : ip), .string(node.isEmpty ? "<none>" : node),
            .string(nominated.isEmpty ? "<none>" : nominated), .string(gates),
        ]
        switch phase {
        case "Succeeded": return PrintedRow(cells: cells, conditions: succeeded)
        case "Failed": return PrintedRow(cells: cells, conditions: failed)
        default: return PrintedRow(cells: cells)
        }
    }

    /// When the container's previous run ended, in microseconds since 1970.
    private static func finishedAt(_ container: JSONValue) -> Int64? {
        guard let text = container.at("lastState", "terminated", "finishedAt")?.stringValue else { return nil }
        return Timestamp.parseMicroseconds(text)
    }

    private static func later(_ a: Int64?, _ b: Int64?) -> Int64? {
        guard let b else { return a }
        guard let a else { return b }
        return max(a, b)
    }
}
