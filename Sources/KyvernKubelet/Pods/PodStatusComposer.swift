import Foundation
import KyvernAPI
import KyvernRuntime

/// Computes a pod's status from what the runtime reports, as upstream's kubelet does
/// (`generateAPIPodStatus`, `getPhase`, the condition generators); no I/O.
struct PodStatusComposer: Sendable {
    struct Input: Sendable {
        var pod: JSONValue
        /// Every container of the pod's sandbox (all attempts).
        var containers: [ContainerStatus]
        /// Probe conclusions by container id.
        var probes: [String: ContainerProbeState]
        /// Why a container that is not running waits, by container name (CrashLoopBackOff, ErrImagePull, ...).
        var waiting: [String: (reason: String, message: String)]
        var sandboxReady: Bool
        var podIPs: [String]
        var nodeIP: String
        /// `runc`, as the prefix of container ids (`runc://<id>`).
        var runtimeName: String
        /// Image ids to report by image reference (repo digests when known).
        var imageIDs: [String: String] = [:]
        var startTime: Date?
        /// The pod is being deleted and its containers were stopped: report a terminal phase.
        var terminal = false
        var now: Date
    }

    /// The newest container of each name, and the one before it.
    static func byName(_ containers: [ContainerStatus]) -> [String: (latest: ContainerStatus, previous: ContainerStatus?)] {
        var result: [String: (ContainerStatus, ContainerStatus?)] = [:]
        let sorted = containers.sorted {
            $0.metadata.attempt == $1.metadata.attempt ? $0.createdAt < $1.createdAt : $0.metadata.attempt < $1.metadata.attempt
        }
        for container in sorted {
            let name = container.metadata.name
            result[name] = (container, result[name]?.0)
        }
        return result
    }

    static func stamp(_ date: Date?) -> JSONValue { date.map { .string(Timestamp.format($0)) } ?? .null }

    func terminatedState(_ c: ContainerStatus, runtimeName: String) -> JSONValue {
        var terminated: JSONValue = [
            "exitCode": .int(Int64(c.exitCode ?? 0)),
            "reason": .string(c.reason.isEmpty ? (c.exitCode == 0 ? "Completed" : "Error") : c.reason),
            "startedAt": Self.stamp(c.startedAt ?? c.createdAt),
            "finishedAt": Self.stamp(c.finishedAt),
            "containerID": .string("\(runtimeName)://\(c.id)"),
        ]
        if !c.message.isEmpty { terminated["message"] = .string(c.message) }
        return ["terminated": terminated]
    }

    /// One entry of containerStatuses/initContainerStatuses, and whether it is ready and started.
    func containerStatus(_ spec: JSONValue, input: Input, isInit: Bool, initDone: Bool,
                         found: (latest: ContainerStatus, previous: ContainerStatus?)?) -> JSONValue {
        let name = spec.containerName
        let image = spec["image"]?.stringValue ?? ""
        var status: [String: JSONValue] = ["name": .string(name), "image": .string(image), "imageID": "",
                                           "lastState": [:], "ready": false, "restartCount": 0, "started": false]
        guard let (latest, previous) = found else {
            let fallback = isInit || !initDone ? "PodInitializing" : "ContainerCreating"
            var waiting: JSONValue = ["reason": .string(input.waiting[name]?.reason ?? fallback)]
            if let message = input.waiting[name]?.message, !message.isEmpty { waiting["message"] = .string(message) }
            status["state"] = ["waiting": waiting]
            return .object(status)
        }
        status["restartCount"] = .int(Int64(latest.metadata.attempt))
        status["containerID"] = .string("\(input.runtimeName)://\(latest.id)")
        status["imageID"] = .string(input.imageIDs[image] ?? latest.imageID)
        if let previous, previous.state == .exited {
            status["lastState"] = terminatedState(previous, runtimeName: input.runtimeName)
        }
        switch latest.state {
        case .running:
            status["state"] = ["running": ["startedAt": Self.stamp(latest.startedAt)]]
            let probe = input.probes[latest.id] ?? ProbeManager.initial(spec)
            status["started"] = .bool(probe.started)
            status["ready"] = .bool(probe.started && probe.ready && !input.terminal)
        case .exited:
            if let wait = input.waiting[name], !input.terminal {
                var waiting: JSONValue = ["reason": .string(wait.reason)]
                if !wait.message.isEmpty { waiting["message"] = .string(wait.message) }
                status["state"] = ["waiting": waiting]
                status["lastState"] = terminatedState(latest, runtimeName: input.runtimeName)
            } else {
                status["state"] = terminatedState(latest, runtimeName: input.runtimeName)
            }
        case .created, .unknown:
            var waiting: JSONValue = ["reason": .string(input.waiting[name]?.reason ?? "ContainerCreating")]
            if let message = input.waiting[name]?.message, !message.isEmpty { waiting["message"] = .string(message) }
            status["state"] = ["waiting": waiting]
        }
        return .object(status)
    }

    /// Whether every init container is done: regular ones exited 0, sidecars started.
    static func initDone(_ facts: PodFacts, byName: [String: (latest: ContainerStatus, previous: ContainerStatus?)],
                         probes: [String: ContainerProbeState]) -> Bool {
        facts.initContainers.allSatisfy { spec in
            guard let latest = byName[spec.containerName]?.latest else { return false }
            if spec.isSidecar {
                return latest.state == .running && (probes[latest.id] ?? ProbeManager.initial(spec)).started
            }
            return latest.state == .exited && latest.exitCode == 0
        }
    }

    /// The whole status: phase, conditions, container statuses, IPs, startTime.
    func compose(_ input: Input) -> JSONValue {
        let facts = PodFacts(pod: input.pod)
        let existing = input.pod["status"]
        let found = Self.byName(input.containers)
        let initDone = Self.initDone(facts, byName: found, probes: input.probes)
        let initStatuses = facts.initContainers.map {
            containerStatus($0, input: input, isInit: true, initDone: initDone, found: found[$0.containerName])
        }
        let statuses = facts.containers.map {
            containerStatus($0, input: input, isInit: false, initDone: initDone, found: found[$0.containerName])
        }
        let phase = Self.phase(facts: facts, initStatuses: initStatuses, statuses: statuses, initDone: initDone,
                               terminal: input.terminal)
        let stamp = Self.stamp(input.now)
        func transition(_ type: String, _ status: String) -> JSONValue {
            let old = existing?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
            if let old, old["status"]?.stringValue == status, let time = old["lastTransitionTime"] { return time }
            return stamp
        }
        func condition(_ type: String, _ ok: Bool, reason: String? = nil, message: String? = nil) -> JSONValue {
            let status = ok ? "True" : "False"
            var c: JSONValue = ["type": .string(type), "status": .string(status), "lastProbeTime": .null,
                                "lastTransitionTime": transition(type, status)]
            if !ok, let reason { c["reason"] = .string(reason) }
            if !ok, let message { c["message"] = .string(message) }
            return c
        }
        let completed = phase == "Succeeded" || phase == "Failed"
        let incompleteInit = zip(facts.initContainers, initStatuses).filter { spec, status in
            spec.isSidecar ? status["started"] != .bool(true) : status[path: ["state", "terminated", "exitCode"]] != .int(0)
        }.map { $0.0.containerName }
        let unready = zip(facts.initContainers + facts.containers, initStatuses + statuses).filter { spec, status in
            (spec.isSidecar || facts.containers.contains(spec)) && status["ready"] != .bool(true)
        }.map { $0.0.containerName }
        let gates = (facts.spec["readinessGates"]?.arrayValue ?? []).compactMap { $0["conditionType"]?.stringValue }
        let missingGate = gates.first { gate in
            existing?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == gate }?["status"]?.stringValue != "True"
        }
        let containersReadyReason = completed ? "PodCompleted" : "ContainersNotReady"
        let unreadyMessage = completed ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
        var readyCondition = condition("Ready", unready.isEmpty && missingGate == nil, reason: containersReadyReason,
                                       message: unreadyMessage)
        if unready.isEmpty, let missingGate, !completed {
            readyCondition["reason"] = "ReadinessGatesNotReady"
            readyCondition["message"] = .string("corresponding condition of pod readiness gate \"\(missingGate)\" does not exist.")
        }
        var conditions: [JSONValue] = [
            condition("PodReadyToStartContainers", input.sandboxReady),
            condition("Initialized", incompleteInit.isEmpty || initDone, reason: completed ? "PodCompleted" : "ContainersNotInitialized",
                      message: completed ? nil : "containers with incomplete status: [\(incompleteInit.joined(separator: " "))]"),
            readyCondition,
            condition("ContainersReady", unready.isEmpty, reason: containersReadyReason, message: unreadyMessage),
        ]
        let ours: Set<String> = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"]
        conditions += (existing?["conditions"]?.arrayValue ?? []).filter { !ours.contains($0["type"]?.stringValue ?? "") }

        let podIPs = facts.hostNetwork ? [input.nodeIP] : input.podIPs
        var status: [String: JSONValue] = [
            "phase": .string(phase),
            "conditions": .array(conditions),
            "hostIP": .string(input.nodeIP), "hostIPs": [["ip": .string(input.nodeIP)]],
            "containerStatuses": .array(statuses),
        ]
        if let first = podIPs.first {
            status["podIP"] = .string(first)
            status["podIPs"] = .array(podIPs.map { ["ip": .string($0)] })
        }
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        if let start = existing?["startTime"], start != .null {
            status["startTime"] = start
        } else if let startTime = input.startTime {
            status["startTime"] = Self.stamp(startTime)
        }
        if let qos = existing?["qosClass"] { status["qosClass"] = qos }
        return .object(status)
    }

    /// Upstream's `getPhase`: Pending until init completes and while any container waits for its
    /// first start; Running while one runs; then Succeeded or Failed by exit codes and restartPolicy.
    static func phase(facts: PodFacts, initStatuses: [JSONValue], statuses: [JSONValue], initDone: Bool,
                      terminal: Bool) -> String {
        let policy = facts.restartPolicy
        var pendingInit = 0, failedInit = 0
        for (spec, status) in zip(facts.initContainers, initStatuses) where !spec.isSidecar {
            if let code = status[path: ["state", "terminated", "exitCode"]]?.intValue {
                if code != 0 { failedInit += 1 }
                continue
            }
            if status[path: ["state", "waiting"]] != nil,
               let code = status[path: ["lastState", "terminated", "exitCode"]]?.intValue, code != 0 {
                failedInit += 1
                continue
            }
            pendingInit += 1
        }
        if failedInit > 0 && policy == "Never" { return "Failed" }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for status in statuses {
            if status[path: ["state", "running"]] != nil {
                running += 1
            } else if let code = status[path: ["state", "terminated", "exitCode"]]?.intValue {
                stopped += 1
                if code == 0 { succeeded += 1 }
            } else if status[path: ["state", "waiting"]] != nil {
                if status[path: ["lastState", "terminated"]] != nil { stopped += 1 } else { waiting += 1 }
            }
        }
        if !initDone && (pendingInit > 0 || failedInit > 0) && !terminal { return "Pending" }
        if waiting > 0 && !terminal { return "Pending" }
        if running > 0 && !terminal { return "Running" }
        if terminal {
            return stopped + running + waiting > 0 && succeeded == statuses.count ? "Succeeded" : "Failed"
        }
        if running == 0 && stopped > 0 {
            if policy == "Always" { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if policy == "Never" { return "Failed" }
            return "Running"
        }
        return "Pending"
    }
}
