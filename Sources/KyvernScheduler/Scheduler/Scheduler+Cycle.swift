import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// The scheduling cycle (one pod at a time, against a snapshot) and the binding cycle (many at
/// once, in their own tasks).
extension Scheduler {
    /// What the scheduling cycle leaves for a background task.
    enum FollowUp: Sendable {
        case bind(Binding)
        /// Writes the pod's PodScheduled=False condition.
        case patchStatus(namespace: String, name: String, patch: JSONValue)
        /// Evicts a pod so a higher-priority one fits (preemption).
        case evict(victim: JSONValue, preemptor: JSONValue, nodeName: String, profile: String)
    }

    struct Binding: Sendable {
        var info: QueuedPod
        var profile: String
        var framework: Framework
        var state: CycleState
        var nodeName: String
        /// Set when Permit asked the pod to wait.
        var waiting: WaitingPod?
    }

    func scheduleLoop() async {
        let slots = AsyncSemaphore(limit: bindConcurrency)
        await withDiscardingTaskGroup { group in
            while let info = await queue.pop() {
                for followUp in await scheduleOne(info) {
                    await slots.acquire()
                    group.addTask {
                        await self.run(followUp)
                        await slots.release()
                    }
                }
            }
        }
    }

    func run(_ followUp: FollowUp) async {
        switch followUp {
        case .bind(let binding):
            await bindingCycle(binding)
        case .patchStatus(let namespace, let name, let patch):
            do {
                try await patchStatus(namespace: namespace, name: name, patch)
            } catch {
                logger.debug("could not update pod status", metadata: [
                    "namespace": "\(namespace)", "name": "\(name)", "error": "\(error)"])
            }
        case .evict(let victim, let preemptor, let nodeName, let profile):
            await evict(victim, preemptor: preemptor, nodeName: nodeName, profile: profile)
        }
    }

    /// Runs the profile's framework for one pod, assumes the chosen node, reserves and permits.
    func scheduleOne(_ info: QueuedPod) async -> [FollowUp] {
        let pod = info.pod
        let profile = Self.schedulerName(of: pod)
        guard let framework = profiles[profile], pod[path: ["metadata", "deletionTimestamp"]] == nil,
              await cache.nodeName(ofPod: info.key) == nil else {
            await queue.done(info.key)
            return []
        }
        let clock = ContinuousClock()
        let start = clock.now
        var snapshot = await cache.snapshot()
        snapshot.cluster = clusterObjects.context
        snapshot.nominatedPods = nominator.byNode
        let result: Framework.Result
        do {
            result = try framework.schedule(pod: pod, snapshot: snapshot)
        } catch {
            metrics.attempt(result: "unschedulable", profile: profile, duration: clock.now - start)
            let plugins = Set(error.nodeStatuses.values.compactMap(\.plugin))
            logger.debug("pod is unschedulable", metadata: [
                "namespace": "\(Self.namespace(pod))", "name": "\(Self.name(pod))", "reason": "\(error.message)"])
            // Preemption found a node: evict its victims and nominate the pod there; the pod
            // retries once the victims' deletions free the room.
            let nominated = error.nominatedNodeName.flatMap { $0.isEmpty ? nil : $0 }
            if let nominated { nominator.add(pod, nodeName: nominated) }
            let evictions = nominated.map { node in
                error.victims.map { FollowUp.evict(victim: $0, preemptor: pod, nodeName: node, profile: profile) }
            } ?? []
            return evictions + (await failed(info, profile: profile, message: error.message, plugins: plugins,
                                             nominatedNodeName: nominated))
        }
        do {
            try await cache.assume(pod, on: result.nodeName)
        } catch {
            metrics.attempt(result: "error", profile: profile, duration: clock.now - start)
            return await failed(info, profile: profile, message: "\(error)", plugins: [], error: true)
        }
        nominator.remove(info.key)
        var state = result.state
        let reserve = framework.reserve(state: &state, pod: pod, nodeName: result.nodeName)
        if !reserve.isSuccess {
            await cache.forget(info.key)
            let unschedulable = reserve.isRejection
            metrics.attempt(result: unschedulable ? "unschedulable" : "error", profile: profile,
                            duration: clock.now - start)
            return await failed(info, profile: profile, message: reserve.message,
                                plugins: Set([reserve.plugin].compactMap { $0 }), error: !unschedulable)
        }
        let (permit, waits) = framework.permit(state: state, pod: pod, nodeName: result.nodeName)
        if !permit.isSuccess, permit.code != .wait {
            framework.unreserve(state: &state, pod: pod, nodeName: result.nodeName)
            await cache.forget(info.key)
            let unschedulable = permit.isRejection
            metrics.attempt(result: unschedulable ? "unschedulable" : "error", profile: profile,
                            duration: clock.now - start)
            return await failed(info, profile: profile, message: permit.message,
                                plugins: Set([permit.plugin].compactMap { $0 }), error: !unschedulable)
        }
        metrics.attempt(result: "scheduled", profile: profile, duration: clock.now - start)
        // The binding cycle needs no snapshot; holding it while bindings are in flight would make
        // the cache copy its nodes (and topology tallies) on the next cycle's update.
        state.snapshot = nil
        let waiting = framework.waitingPod(for: pod, nodeName: result.nodeName, waits: waits)
        return [.bind(Binding(info: info, profile: profile, framework: framework, state: state,
                              nodeName: result.nodeName, waiting: waiting))]
    }

    /// Waits out Permit, binds, and reports the outcome.
    func bindingCycle(_ binding: Binding) async {
        var state = binding.state
        let pod = binding.info.pod
        var status = Status.success
        if let waiting = binding.waiting {
            status = await binding.framework.waitOnPermit(waiting)
        }
        if status.isSuccess {
            status = await binding.framework.bind(state: state, pod: pod, nodeName: binding.nodeName)
        }
        let key = binding.info.key
        if status.isSuccess {
            await cache.finishBinding(key)
            await queue.done(key)
            recorder.record(regarding: pod, type: "Normal", reason: "Scheduled", action: "Binding",
                            note: "Successfully assigned \(key) to \(binding.nodeName)", controller: binding.profile)
            metrics.scheduled(attempts: binding.info.attempts,
                              sinceFirstAttempt: .seconds(queue.now() - binding.info.initialAttemptTimestamp))
            logger.debug("bound pod", metadata: ["namespace": "\(Self.namespace(pod))", "name": "\(Self.name(pod))",
                                                 "node": "\(binding.nodeName)"])
            return
        }
        binding.framework.unreserve(state: &state, pod: pod, nodeName: binding.nodeName)
        await cache.forget(key)
        let message = status.code == .error
            ? "running Bind plugin \"\(status.plugin ?? "")\": \(status.message)" : status.message
        logger.info("binding failed", metadata: ["namespace": "\(Self.namespace(pod))", "name": "\(Self.name(pod))",
                                                "error": "\(message)"])
        for followUp in await failed(binding.info, profile: binding.profile, message: message,
                                     plugins: Set([status.plugin].compactMap { $0 }), error: status.code == .error) {
            await run(followUp)
        }
    }

    /// Requeues the pod, records FailedScheduling and returns the condition write (if the pod
    /// does not already say so).
    func failed(_ info: QueuedPod, profile: String, message: String, plugins: Set<String>,
                error: Bool = false, nominatedNodeName: String? = nil) async -> [FollowUp] {
        await queue.requeue(info.key, rejectedBy: plugins, error: error)
        let pod = info.pod
        recorder.record(regarding: pod, type: "Warning", reason: "FailedScheduling", action: "Scheduling",
                        note: message, controller: profile)
        guard let patch = UnschedulableStatus.patch(
            for: pod, reason: error ? "SchedulerError" : "Unschedulable", message: message,
            nominatedNodeName: nominatedNodeName, now: Date()) else { return [] }
        return [.patchStatus(namespace: Self.namespace(pod), name: Self.name(pod), patch: patch)]
    }

    /// Upstream's victim handling: a `DisruptionTarget` condition saying why, the `Preempted`
    /// event, then the deletion (with the victim's UID as precondition, so a recreated pod of
    /// the same name is left alone).
    func evict(_ victim: JSONValue, preemptor: JSONValue, nodeName: String, profile: String) async {
        let namespace = Self.namespace(victim), name = Self.name(victim)
        let condition: JSONValue = ["status": ["conditions": [[
            "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
            "message": .string("\(profile): preempting to accommodate a higher priority pod"),
            "lastTransitionTime": .string(Timestamp.format(Date())),
        ]]]]
        try? await patchStatus(namespace: namespace, name: name, condition)
        recorder.record(regarding: victim, related: preemptor, type: "Normal", reason: "Preempted",
                        action: "Preempting",
                        note: "Preempted by pod \(preemptor[path: ["metadata", "uid"]]?.stringValue ?? "") on node \(nodeName)",
                        controller: profile)
        do {
            _ = try await client.delete(.pods, namespace: namespace, name: name, options: DeleteOptions(
                preconditionUID: victim[path: ["metadata", "uid"]]?.stringValue))
            logger.info("preempted pod", metadata: ["namespace": "\(namespace)", "name": "\(name)",
                                                    "preemptor": "\(Self.namespace(preemptor))/\(Self.name(preemptor))",
                                                    "node": "\(nodeName)"])
        } catch {
            logger.debug("could not delete victim", metadata: ["namespace": "\(namespace)", "name": "\(name)",
                                                               "error": "\(error)"])
        }
    }

    func patchStatus(namespace: String, name: String, _ patch: JSONValue) async throws {
        _ = try await client.patch(.pods, namespace: namespace, name: name, subresource: "status",
                                   type: .strategicMerge, patch, options: WriteOptions())
    }

    static func namespace(_ pod: JSONValue) -> String { pod[path: ["metadata", "namespace"]]?.stringValue ?? "" }
    static func name(_ pod: JSONValue) -> String { pod[path: ["metadata", "name"]]?.stringValue ?? "" }
}
