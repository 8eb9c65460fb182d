import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import Logging

extension PodWorker {
    /// Graceful termination as upstream's kubelet does it: each running container gets its preStop
    /// hook and then SIGTERM, SIGKILL after what is left of the grace period (regular containers
    /// together, sidecars after them, in reverse order); then the sandbox, its volumes and cgroups
    /// go. With `reportAndDelete`, the final status is written and the pod deleted with grace 0.
    func terminate(_ pod: JSONValue, reportAndDelete: Bool) async throws {
        let facts = PodFacts(pod: pod)
        let grace = facts.gracePeriodSeconds
        let deadline = context.clock.now().addingTimeInterval(TimeInterval(grace))
        let sandboxes = try await context.runtime.listPodSandboxes().filter { $0.labels[RuntimeLabels.podUID] == uid }
        var all: [ContainerStatus] = []
        for sandbox in sandboxes {
            all += try await context.runtime.listContainers(ContainerFilter(sandboxID: sandbox.id))
        }
        let running = all.filter { $0.state == .running || $0.state == .created }
        let sidecars = Set(facts.initContainers.filter(\.isSidecar).map(\.containerName))
        let regular = running.filter { !sidecars.contains($0.metadata.name) }
        let sidecarContainers = running.filter { sidecars.contains($0.metadata.name) }
            .sorted { a, b in
                let order = facts.initContainers.map(\.containerName)
                return (order.firstIndex(of: a.metadata.name) ?? 0) > (order.firstIndex(of: b.metadata.name) ?? 0)
            }
        await withTaskGroup(of: Void.self) { group in
            for container in regular {
                group.addTask { await self.kill(container, pod: pod, deadline: deadline) }
            }
        }
        for container in sidecarContainers { await kill(container, pod: pod, deadline: deadline) }
        await context.probes.retain(podUID: uid, keep: [])

        if reportAndDelete {
            var final: [ContainerStatus] = []
            for sandbox in sandboxes {
                final += (try? await context.runtime.listContainers(ContainerFilter(sandboxID: sandbox.id))) ?? []
            }
            do {
                try await writeStatus(pod, containers: final, sandboxReady: false, terminal: true)
            } catch where error.apiCode == 404 || error.apiCode == 409 {
                // Gone already: nothing to report.
            }
        }
        for sandbox in sandboxes {
            try await context.timed("stop_podsandbox") { try await context.runtime.stopPodSandbox(id: sandbox.id) }
            try await context.timed("remove_podsandbox") { try await context.runtime.removePodSandbox(id: sandbox.id) }
        }
        try await context.volumes.tearDown(podUID: uid)
        sandboxID = nil
        if reportAndDelete {
            do {
                _ = try await context.client.delete(.pods, namespace: facts.namespace, name: facts.name,
                                                    options: DeleteOptions(gracePeriodSeconds: 0, preconditionUID: uid))
            } catch where error.apiCode == 404 || error.apiCode == 409 {
                // Already gone, or a new pod of the same name: ours is done.
            }
        }
        logger.info("pod terminated", metadata: ["name": "\(facts.namespace)/\(facts.name)"])
    }

    /// The preStop hook (bounded by the deadline), then stop with what is left of the grace period.
    func kill(_ container: ContainerStatus, pod: JSONValue, deadline: Date) async {
        let name = container.metadata.name
        await context.events.normal(pod, container: name, reason: "Killing", message: "Stopping container \(name)")
        if container.state == .running, let spec = PodFacts(pod: pod).container(named: name),
           let hook = spec[path: ["lifecycle", "preStop"]] {
            let remaining = max(0, deadline.timeIntervalSince(context.clock.now()))
            let failure = await runHook(hook, containerID: container.id, pod: pod, timeout: remaining)
            if let failure {
                await context.events.warning(pod, container: name, reason: "FailedPreStopHook",
                                             message: "PreStopHook failed: \(failure)")
            }
        }
        let remaining = max(0, deadline.timeIntervalSince(context.clock.now()))
        do {
            try await context.timed("stop_container") {
                try await context.runtime.stopContainer(id: container.id, gracePeriod: .milliseconds(Int64(remaining * 1000)))
            }
        } catch {
            logger.warning("failed to stop container", metadata: ["container": "\(name)", "error": "\(error)"])
        }
    }

    /// Runs an exec, httpGet or sleep lifecycle hook; returns why it failed, nil on success.
    func runHook(_ hook: JSONValue, containerID: String, pod: JSONValue, timeout: TimeInterval) async -> String? {
        let timeoutDuration = Duration.milliseconds(Int64(max(timeout, 1) * 1000))
        if let command = hook[path: ["exec", "command"]]?.arrayValue?.compactMap(\.stringValue) {
            switch await context.prober.exec(command, containerID: containerID, timeout: timeoutDuration) {
            case .success: return nil
            case .failure(let message): return message
            }
        }
        if let http = hook["httpGet"] {
            let port = http["port"]?.intValue.map(Int.init) ?? Int(http["port"]?.stringValue ?? "") ?? 80
            let facts = PodFacts(pod: pod)
            let host = http["host"]?.stringValue ?? (facts.hostNetwork ? context.nodeIP : podIPs.first ?? context.nodeIP)
            var path = http["path"]?.stringValue ?? "/"
            if !path.hasPrefix("/") { path = "/" + path }
            switch await context.prober.httpGet(scheme: (http["scheme"]?.stringValue ?? "HTTP").lowercased(), host: host,
                                                port: port, path: path, headers: [], timeout: timeoutDuration) {
            case .success: return nil
            case .failure(let message): return message
            }
        }
        if let seconds = hook[path: ["sleep", "seconds"]]?.intValue {
            try? await context.clock.sleep(for: .seconds(min(Double(seconds), timeout)))
            return nil
        }
        return nil
    }
}
