import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import Logging
import Prometheus

/// Drives one pod toward its spec, one sync at a time: sandbox, images, init containers in order,
/// containers with their restart policy and back-off, probes' verdicts, and the status the API
/// sees. All state it keeps can be rebuilt from the runtime, so a restarted agent adopts what
/// runs (sandboxes and containers are found by pod uid and container name; a running container
/// is never restarted for that reason).
actor PodWorker {
    let context: PodContext
    let uid: String
    /// Called when something changed that deserves a sync sooner than the next tick.
    let wake: @Sendable () async -> Void
    var sandboxID: String?
    var sandboxConfig: PodSandboxConfig?
    var podIPs: [String] = []
    var lastVolumeRefresh: Date?
    var waiting: [String: (reason: String, message: String)] = [:]
    var backoff = RestartBackoff()
    var pullBackoff = RestartBackoff()
    var pullFailedAt: [String: Date] = [:]
    var imageIDs: [String: String] = [:]
    var lastWritten: JSONValue?
    let firstSeen: Date
    var startReported = false
    /// Set once the pod reached Succeeded or Failed: its containers are stopped and nothing restarts.
    var finishedPhase: String?

    init(context: PodContext, uid: String, wake: @escaping @Sendable () async -> Void) {
        self.context = context
        self.uid = uid
        self.wake = wake
        self.firstSeen = context.clock.now()
    }

    var logger: Logger {
        var logger = context.logger
        logger[metadataKey: "pod"] = "\(uid)"
        return logger
    }

    /// One sync; returns true when the worker is done with the pod (deleted).
    func sync(_ pod: JSONValue) async -> Bool {
        let facts = PodFacts(pod: pod)
        do {
            if facts.isDeleting {
                try await terminate(pod, reportAndDelete: true)
                return true
            }
            let apiPhase = pod[path: ["status", "phase"]]?.stringValue
            if finishedPhase != nil || (lastWritten == nil && (apiPhase == "Succeeded" || apiPhase == "Failed")) {
                try await keepFinished(pod, phase: finishedPhase ?? apiPhase ?? "")
                return false
            }
            try await syncRunning(pod)
        } catch {
            if Task.isCancelled { return true }
            context.metrics?.podWorkerErrors.increment()
            logger.warning("pod sync failed", metadata: ["error": "\(error)"])
        }
        return false
    }

    // MARK: sandbox

    /// Finds this pod's ready sandbox (adopting one a previous agent made) or makes one; false
    /// (with the reason recorded) when it cannot yet.
    func ensureSandbox(_ pod: JSONValue) async throws -> Bool {
        let facts = PodFacts(pod: pod)
        let now = context.clock.now()
        if sandboxID == nil {
            let mine = try await context.runtime.listPodSandboxes().filter { $0.labels[RuntimeLabels.podUID] == uid }
            if let ready = mine.filter({ $0.state == .ready }).max(by: { $0.createdAt < $1.createdAt }) {
                sandboxID = ready.id
                podIPs = ready.ips
                sandboxConfig = context.sandboxes.config(for: pod, attempt: ready.metadata.attempt)
                logger.info("adopted pod sandbox", metadata: ["sandbox": "\(ready.id)"])
            } else {
                for stale in mine {
                    try? await context.runtime.stopPodSandbox(id: stale.id)
                    try? await context.runtime.removePodSandbox(id: stale.id)
                }
                do {
                    try await context.volumes.setUp(pod: pod)
                    lastVolumeRefresh = now
                } catch {
                    await context.events.warning(pod, reason: "FailedMount", message: "\(error)")
                    return false
                }
                let attempt = (mine.map(\.metadata.attempt).max() ?? -1) + 1
                let config = context.sandboxes.config(for: pod, attempt: attempt)
                do {
                    let id = try await context.startStep("run_podsandbox") { try await context.runtime.runPodSandbox(config) }
                    sandboxID = id
                    sandboxConfig = config
                    podIPs = try await context.runtime.podSandboxStatus(id: id).ips
                } catch {
                    await context.events.warning(pod, reason: "FailedCreatePodSandBox",
                                                 message: "Failed to create pod sandbox: \(error)")
                    return false
                }
            }
        }
        if lastVolumeRefresh.map({ now.timeIntervalSince($0) >= context.volumeRefreshSeconds }) ?? true {
            do {
                try await context.volumes.setUp(pod: pod)
                lastVolumeRefresh = now
            } catch {
                await context.events.warning(pod, reason: "FailedMount", message: "\(error)")
            }
        }
        _ = facts
        return true
    }

    // MARK: containers

    /// The regular sync: sandbox, init containers, containers, probes, status.
    func syncRunning(_ pod: JSONValue) async throws {
        let facts = PodFacts(pod: pod)
        guard try await ensureSandbox(pod), let sandboxID else {
            try await writeStatus(pod, containers: [], sandboxReady: false)
            return
        }
        var containers = try await context.runtime.listContainers(ContainerFilter(sandboxID: sandboxID))
        var found = PodStatusComposer.byName(containers)
        var changed = false

        // Liveness (and startup) failures: kill, then restart below as the policy says.
        for spec in facts.initContainers.filter(\.isSidecar) + facts.containers {
            guard let latest = found[spec.containerName]?.latest, latest.state == .running else { continue }
            let probe = await context.probes.state(containerID: latest.id, container: spec)
            if probe.livenessFailed {
                await context.events.normal(pod, container: spec.containerName, reason: "Killing",
                                            message: "Container \(spec.containerName) \(probe.livenessMessage), will be restarted")
                try await stop(latest, pod: pod, grace: facts.gracePeriodSeconds)
                changed = true
            }
        }
        if changed {
            containers = try await context.runtime.listContainers(ContainerFilter(sandboxID: sandboxID))
            found = PodStatusComposer.byName(containers)
            changed = false
        }

        // Init containers in order; a sidecar must be started before the next one runs.
        var initDone = true
        for spec in facts.initContainers {
            let name = spec.containerName
            let current = found[name]?.latest
            if spec.isSidecar {
                if let current, current.state == .running {
                    let probe = await context.probes.state(containerID: current.id, container: spec)
                    if probe.started { continue }
                    initDone = false
                    break
                }
                changed = try await start(spec, pod: pod, previous: current, restart: true) || changed
                initDone = false
                break
            }
            if let current, current.state == .exited, current.exitCode == 0 { continue }
            initDone = false
            if let current, current.state == .running || current.state == .created { break }
            if let current, current.state == .exited, facts.restartPolicy == "Never" { break }
            changed = try await start(spec, pod: pod, previous: current, restart: current != nil)
            break
        }

        if initDone {
            for spec in facts.containers {
                let current = found[spec.containerName]?.latest
                switch current?.state {
                case nil:
                    changed = try await start(spec, pod: pod, previous: nil, restart: false) || changed
                case .exited?:
                    let code = current?.exitCode ?? 0
                    let restart = facts.restartPolicy == "Always" || (facts.restartPolicy == "OnFailure" && code != 0)
                    if restart {
                        changed = try await start(spec, pod: pod, previous: current, restart: true) || changed
                    }
                default:
                    break
                }
            }
        }
        if changed {
            containers = try await context.runtime.listContainers(ContainerFilter(sandboxID: sandboxID))
        }
        try await watchProbes(pod, containers: containers)
        let status = try await writeStatus(pod, containers: containers, sandboxReady: true)
        let phase = status["phase"]?.stringValue
        if phase == "Succeeded" || phase == "Failed" {
            finishedPhase = phase
            try await keepFinished(pod, phase: phase ?? "")
        } else if phase == "Running", !startReported,
                  (status["containerStatuses"]?.arrayValue ?? []).allSatisfy({ $0[path: ["state", "running"]] != nil }) {
            startReported = true
            context.metrics?.podStartDuration.record(.milliseconds(Int64(context.clock.now().timeIntervalSince(firstSeen) * 1000)))
        }
    }

    /// Starts or stops probing so that exactly the running containers are probed.
    func watchProbes(_ pod: JSONValue, containers: [ContainerStatus]) async throws {
        let facts = PodFacts(pod: pod)
        let target = facts.hostNetwork ? context.nodeIP : (podIPs.first ?? context.nodeIP)
        var keep: Set<String> = []
        for container in containers where container.state == .running {
            guard let spec = facts.container(named: container.metadata.name) else { continue }
            if facts.initContainers.contains(spec) && !spec.isSidecar { continue }
            keep.insert(container.id)
            let wake = self.wake
            await context.probes.ensure(pod: pod, container: spec, containerID: container.id, startedAt: container.startedAt,
                                        target: target, onChange: wake)
        }
        await context.probes.retain(podUID: uid, keep: keep)
    }

    /// Writes the composed status through the status subresource when it differs from the last one.
    @discardableResult
    func writeStatus(_ pod: JSONValue, containers: [ContainerStatus], sandboxReady: Bool, terminal: Bool = false) async throws -> JSONValue {
        var probes: [String: ContainerProbeState] = [:]
        let facts = PodFacts(pod: pod)
        for container in containers {
            guard let spec = facts.container(named: container.metadata.name) else { continue }
            probes[container.id] = await context.probes.state(containerID: container.id, container: spec)
        }
        var base = pod
        if let lastWritten { base["status"] = lastWritten }
        let input = PodStatusComposer.Input(
            pod: base, containers: containers, probes: probes, waiting: waiting, sandboxReady: sandboxReady,
            podIPs: podIPs, nodeIP: context.nodeIP, runtimeName: context.runtimeName, imageIDs: imageIDs,
            startTime: firstSeen, terminal: terminal, now: context.clock.now())
        let status = PodStatusComposer().compose(input)
        guard status != lastWritten else { return status }
        _ = try await context.client.patch(.pods, namespace: facts.namespace, name: facts.name, subresource: "status",
                                           type: .merge, ["status": status], options: .init())
        lastWritten = status
        return status
    }

    /// A pod that reached Succeeded or Failed: stop whatever still runs (sidecars) and the sandbox;
    /// keep the containers for their logs.
    func keepFinished(_ pod: JSONValue, phase: String) async throws {
        if sandboxID == nil {
            let mine = try await context.runtime.listPodSandboxes().filter { $0.labels[RuntimeLabels.podUID] == uid }
            sandboxID = mine.max(by: { $0.createdAt < $1.createdAt })?.id
        }
        guard let sandboxID else { return }
        let running = try await context.runtime.listContainers(ContainerFilter(sandboxID: sandboxID, state: .running))
        for container in running {
            try await stop(container, pod: pod, grace: PodFacts(pod: pod).gracePeriodSeconds)
        }
        if try await context.runtime.podSandboxStatus(id: sandboxID).state == .ready {
            try await context.runtime.stopPodSandbox(id: sandboxID)
            await context.probes.retain(podUID: uid, keep: [])
        }
    }
}
