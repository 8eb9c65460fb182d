import AsyncHTTPClient
import Foundation
import KyvernAPI
import KyvernRuntime
import Logging

/// Runs the probes of every running container, one task per container, and keeps their
/// conclusions for the pod workers. A conclusion that changes wakes the container's pod worker
/// (through `onChange`) so readiness reaches the pod status and a failed liveness probe
/// restarts the container without waiting for the next resync.
actor ProbeManager {
    let prober: Prober
    let clock: any AgentClock
    let events: PodEventRecorder
    let metrics: AgentMetrics?
    let logger: Logger
    private var states: [String: ContainerProbeState] = [:]
    private var tasks: [String: Task<Void, Never>] = [:]
    private var podOf: [String: String] = [:]

    init(prober: Prober, clock: any AgentClock, events: PodEventRecorder, metrics: AgentMetrics?, logger: Logger) {
        self.prober = prober
        self.clock = clock
        self.events = events
        self.metrics = metrics
        self.logger = logger
    }

    /// The container's probe state; a container not probed (yet) is started, and ready unless it
    /// has a readiness probe.
    func state(containerID: String, container: JSONValue) -> ContainerProbeState {
        states[containerID] ?? Self.initial(container)
    }

    static func initial(_ container: JSONValue) -> ContainerProbeState {
        let hasStartup = ProbeSpec.parse(.startup, container: container) != nil
        let hasReadiness = ProbeSpec.parse(.readiness, container: container) != nil
        return ContainerProbeState(ready: !hasReadiness && !hasStartup, started: !hasStartup)
    }

    /// Starts probing a running container unless already probing it.
    func ensure(pod: JSONValue, container: JSONValue, containerID: String, startedAt: Date?, target: String,
                onChange: @escaping @Sendable () async -> Void) {
        guard tasks[containerID] == nil else { return }
        let probes = [ProbeSpec.Kind.startup, .liveness, .readiness].compactMap { ProbeSpec.parse($0, container: container) }
        states[containerID] = Self.initial(container)
        podOf[containerID] = PodFacts(pod: pod).uid
        guard !probes.isEmpty else { return }
        tasks[containerID] = Task {
            await self.probeLoop(pod: pod, container: container, containerID: containerID, probes: probes,
                                 startedAt: startedAt ?? clock.now(), target: target, onChange: onChange)
        }
    }

    /// Stops probing containers of `podUID` that are not in `keep`.
    func retain(podUID: String, keep: Set<String>) {
        for (id, uid) in podOf where uid == podUID && !keep.contains(id) {
            tasks.removeValue(forKey: id)?.cancel()
            states[id] = nil
            podOf[id] = nil
        }
    }

    func removeAll() {
        for task in tasks.values { task.cancel() }
        tasks.removeAll()
        states.removeAll()
        podOf.removeAll()
    }

    /// Sets a conclusion directly (the worker's tests drive readiness and liveness this way).
    func set(_ state: ContainerProbeState, for containerID: String) { states[containerID] = state }

    private func update(_ containerID: String, _ change: (inout ContainerProbeState) -> Void) -> Bool {
        guard var state = states[containerID] else { return false }
        let before = state
        change(&state)
        states[containerID] = state
        return state != before
    }

    /// One loop for all of a container's probes: each runs on its own period after its initial
    /// delay; liveness and readiness wait for the startup probe to succeed.
    private func probeLoop(pod: JSONValue, container: JSONValue, containerID: String, probes: [ProbeSpec],
                           startedAt: Date, target: String, onChange: @escaping @Sendable () async -> Void) async {
        var due: [ProbeSpec.Kind: Date] = [:]
        var successes: [ProbeSpec.Kind: Int64] = [:]
        var failures: [ProbeSpec.Kind: Int64] = [:]
        for probe in probes { due[probe.kind] = startedAt.addingTimeInterval(TimeInterval(probe.initialDelaySeconds)) }
        let name = container.containerName
        while !Task.isCancelled {
            let now = clock.now()
            let started = states[containerID]?.started ?? false
            for probe in probes {
                guard let when = due[probe.kind], when <= now else { continue }
                if probe.kind != .startup && !started { continue }
                if probe.kind == .startup && started { continue }
                due[probe.kind] = now.addingTimeInterval(TimeInterval(probe.periodSeconds))
                let outcome = await prober.run(probe, containerID: containerID, target: target)
                if Task.isCancelled { return }
                metrics?.probeResult(probe.kind, outcome)
                var changed = false
                switch outcome {
                case .success:
                    failures[probe.kind] = 0
                    successes[probe.kind, default: 0] += 1
                    if successes[probe.kind]! >= probe.successThreshold {
                        changed = update(containerID) { state in
                            switch probe.kind {
                            case .startup: state.started = true
                                state.ready = ProbeSpec.parse(.readiness, container: container) == nil
                            case .readiness: state.ready = true
                            case .liveness: break
                            }
                        }
                    }
                case .failure(let message):
                    successes[probe.kind] = 0
                    failures[probe.kind, default: 0] += 1
                    await events.warning(pod, container: name, reason: "Unhealthy",
                                         message: "\(probe.kind.rawValue) probe failed: \(message)")
                    if failures[probe.kind]! >= probe.failureThreshold {
                        changed = update(containerID) { state in
                            switch probe.kind {
                            case .readiness: state.ready = false
                            case .liveness, .startup:
                                state.livenessFailed = true
                                state.livenessMessage = probe.kind == .liveness ? "failed liveness probe" : "failed startup probe"
                            }
                        }
                    }
                }
                if changed { await onChange() }
                if states[containerID]?.livenessFailed == true { return }
            }
            let next = due.values.min() ?? now.addingTimeInterval(1)
            let wait = max(0.01, min(next.timeIntervalSince(clock.now()), 1))
            do {
                try await clock.sleep(for: .milliseconds(Int64(wait * 1000)))
            } catch {
                return
            }
        }
    }
}
