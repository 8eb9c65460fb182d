import KyvernAPI
import Synchronization
import Testing
@testable import KyvernScheduler

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds = Mutex<Double>(1000)
    var now: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
    func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

@Suite struct SchedulingQueueTests {
    let clock = ManualClock()

    func makeQueue() -> SchedulingQueue { SchedulingQueue(now: clock.now) }

    func pod(_ name: String, priority: Int64? = nil, labels: [String: String] = [:]) -> JSONValue {
        var spec: [String: JSONValue] = [:]
        if let priority { spec["priority"] = .int(priority) }
        var pod = Fixtures.pod(name, spec: spec)
        if !labels.isEmpty { pod[path: ["metadata", "labels"]] = .object(labels.mapValues { .string($0) }) }
        return pod
    }

    /// Pops `name` and reports it unschedulable by `plugins`.
    func fail(_ queue: SchedulingQueue, _ name: String, plugins: Set<String>) async throws {
        let popped = try #require(await queue.pop())
        #expect(popped.key == "default/\(name)")
        await queue.requeue(popped.key, rejectedBy: plugins)
    }

    @Test func popsHigherPriorityFirstThenEarlier() async {
        let queue = makeQueue()
        await queue.add(pod("low", priority: 1))
        clock.advance(1)
        await queue.add(pod("high-late", priority: 10))
        clock.advance(1)
        await queue.add(pod("low-late", priority: 1))
        clock.advance(1)
        await queue.add(pod("high-later", priority: 10))
        var order: [String] = []
        for _ in 0..<4 { order.append(await queue.pop()!.key) }
        #expect(order == ["default/high-late", "default/high-later", "default/low", "default/low-late"])
    }

    @Test func popSuspendsUntilAPodArrives() async {
        let queue = makeQueue()
        async let popped = queue.pop()
        try? await Task.sleep(for: .milliseconds(50))
        await queue.add(pod("a"))
        #expect(await popped?.key == "default/a")
        #expect(await queue.location(of: "default/a") == .inFlight)
    }

    @Test func closeWakesPopWithNil() async {
        let queue = makeQueue()
        async let popped = queue.pop()
        try? await Task.sleep(for: .milliseconds(50))
        await queue.close()
        #expect(await popped == nil)
    }

    @Test func backoffDoublesFromOneToTenSeconds() {
        let policy = BackoffPolicy()
        #expect((1...6).map { policy.duration(attempts: $0) } == [1, 2, 4, 8, 10, 10])
    }

    @Test func unschedulablePodWaitsForARelevantEvent() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        try await fail(queue, "a", plugins: ["NodeResourcesFit"])
        #expect(await queue.location(of: "default/a") == .unschedulable)
        #expect(await queue.counts == .init(active: 0, backoff: 0, unschedulable: 1))

        // A label change cannot give a pod room.
        await queue.clusterChanged([.nodeLabelsChanged])
        #expect(await queue.location(of: "default/a") == .unschedulable)
        // More allocatable can; the pod's 1 s backoff is not over yet.
        await queue.clusterChanged([.nodeAllocatableChanged])
        #expect(await queue.location(of: "default/a") == .backoff)
        clock.advance(1)
        await queue.flushBackoffCompleted()
        #expect(await queue.location(of: "default/a") == .active)
    }

    @Test func eventAfterBackoffGoesStraightToActive() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        try await fail(queue, "a", plugins: ["NodeAffinity"])
        clock.advance(2)
        await queue.clusterChanged([.nodeAdded])
        #expect(await queue.location(of: "default/a") == .active)
    }

    @Test(arguments: [
        ("NodeResourcesFit", ClusterEvent.nodeAdded, true),
        ("NodeResourcesFit", .nodeAllocatableChanged, true),
        ("NodeResourcesFit", .assignedPodDeleted, true),
        ("NodeResourcesFit", .nodeLabelsChanged, false),
        ("NodeResourcesFit", .nodeTaintsChanged, false),
        ("NodeResourcesFit", .assignedPodAdded, false),
        ("NodeAffinity", .nodeLabelsChanged, true),
        ("NodeAffinity", .nodeAllocatableChanged, false),
        ("TaintToleration", .nodeTaintsChanged, true),
        ("TaintToleration", .nodeLabelsChanged, false),
        ("NodeUnschedulable", .nodeSchedulableChanged, true),
        ("NodeUnschedulable", .assignedPodDeleted, false),
        ("NodePorts", .assignedPodDeleted, true),
        ("NodePorts", .nodeLabelsChanged, false),
        ("InterPodAffinity", .assignedPodAdded, true),
        ("InterPodAffinity", .nodeAllocatableChanged, false),
        ("PodTopologySpread", .assignedPodAdded, true),
        ("PodTopologySpread", .nodeDeleted, true),
        ("NodeName", .nodeAdded, true),
        ("NodeName", .nodeLabelsChanged, false),
        ("SomeOutOfTreePlugin", .nodeLabelsChanged, true),
    ])
    func requeueRule(plugin: String, event: ClusterEvent, moves: Bool) async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        try await fail(queue, "a", plugins: [plugin])
        await queue.clusterChanged([event])
        #expect(await queue.location(of: "default/a") == (moves ? .backoff : .unschedulable))
    }

    @Test func podRejectedBySeveralPluginsMovesWhenAnyCares() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        try await fail(queue, "a", plugins: ["NodeResourcesFit", "TaintToleration"])
        await queue.clusterChanged([.nodeTaintsChanged])
        #expect(await queue.location(of: "default/a") == .backoff)
    }

    @Test func podWithoutRejectingPluginMovesOnAnyEvent() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        try await fail(queue, "a", plugins: [])
        await queue.clusterChanged([.nodeLabelsChanged])
        #expect(await queue.location(of: "default/a") == .backoff)
    }

    @Test func nodeUpdateClassification() {
        let old = Fixtures.node("n", labels: ["a": "1"])
        var labels = old
        labels[path: ["metadata", "labels", "a"]] = "2"
        #expect(ClusterEvent.nodeUpdate(old: old, new: labels) == [.nodeLabelsChanged])
        var cpu = old
        cpu[path: ["status", "allocatable", "cpu"]] = "8"
        #expect(ClusterEvent.nodeUpdate(old: old, new: cpu) == [.nodeAllocatableChanged])
        var tainted = old
        tainted[path: ["spec", "taints"]] = [Fixtures.taint("k", effect: "NoSchedule")]
        #expect(ClusterEvent.nodeUpdate(old: old, new: tainted) == [.nodeTaintsChanged])
        var cordoned = old
        cordoned[path: ["spec", "unschedulable"]] = true
        #expect(ClusterEvent.nodeUpdate(old: old, new: cordoned) == [.nodeSchedulableChanged])
        var heartbeat = old
        heartbeat[path: ["status", "conditions"]] = [["type": "Ready", "status": "True"]]
        #expect(ClusterEvent.nodeUpdate(old: old, new: heartbeat).isEmpty)
    }

    @Test func userUpdateReactivatesButStatusWriteDoesNot() async throws {
        let queue = makeQueue()
        let original = pod("a")
        await queue.add(original)
        try await fail(queue, "a", plugins: ["NodeResourcesFit"])

        var statusOnly = original
        statusOnly[path: ["status", "conditions"]] = [["type": "PodScheduled", "status": "False"]]
        statusOnly[path: ["metadata", "resourceVersion"]] = "7"
        await queue.update(old: original, new: statusOnly)
        #expect(await queue.location(of: "default/a") == .unschedulable)

        var relabelled = statusOnly
        relabelled[path: ["metadata", "labels"]] = ["tier": "web"]
        clock.advance(5)
        await queue.update(old: statusOnly, new: relabelled)
        #expect(await queue.location(of: "default/a") == .active)
        let popped = try #require(await queue.pop())
        #expect(popped.pod[path: ["metadata", "labels", "tier"]] == "web")
        #expect(popped.attempts == 2)
    }

    @Test func updateInActiveQueueReplacesEntryAndReorders() async {
        let queue = makeQueue()
        await queue.add(pod("a", priority: 1))
        clock.advance(1)
        await queue.add(pod("b", priority: 5))
        await queue.update(old: pod("a", priority: 1), new: pod("a", priority: 9))
        #expect(await queue.counts.active == 2)
        let first = await queue.pop()
        #expect(first?.key == "default/a")
        #expect(first?.priority == 9)
    }

    @Test func deletedPodsLeaveEveryQueue() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        await queue.add(pod("b"))
        await queue.delete(pod("a"))
        #expect(await queue.location(of: "default/a") == nil)
        try await fail(queue, "b", plugins: ["NodeResourcesFit"])
        await queue.delete(pod("b"))
        #expect(await queue.counts == .init(active: 0, backoff: 0, unschedulable: 0))
    }

    @Test func podDeletedWhileInFlightIsDropped() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        let popped = try #require(await queue.pop())
        await queue.delete(popped.pod)
        await queue.requeue(popped.key, rejectedBy: ["NodeResourcesFit"])
        #expect(await queue.location(of: "default/a") == nil)
    }

    @Test func relevantEventDuringFlightSendsPodToBackoff() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        await queue.add(pod("b"))
        let a = try #require(await queue.pop())
        await queue.clusterChanged([.nodeAdded])
        // b is popped after the node came, so its snapshot already held the node.
        let b = try #require(await queue.pop())
        await queue.requeue(a.key, rejectedBy: ["NodeResourcesFit"])
        #expect(await queue.location(of: a.key) == .backoff)
        // An event no rejecting plugin cares about does not save the pod from parking.
        await queue.clusterChanged([.nodeLabelsChanged])
        await queue.requeue(b.key, rejectedBy: ["NodeResourcesFit"])
        #expect(await queue.location(of: b.key) == .unschedulable)
    }

    @Test func userUpdateDuringFlightSendsPodToBackoff() async throws {
        let queue = makeQueue()
        let original = pod("a")
        await queue.add(original)
        let popped = try #require(await queue.pop())
        var changed = original
        changed[path: ["spec", "nodeSelector"]] = ["zone": "b"]
        await queue.update(old: original, new: changed)
        await queue.requeue(popped.key, rejectedBy: ["NodeAffinity"])
        #expect(await queue.location(of: popped.key) == .backoff)
        clock.advance(1)
        await queue.flushBackoffCompleted()
        #expect(await queue.pop()?.pod[path: ["spec", "nodeSelector", "zone"]] == "b")
    }

    @Test func errorsGoToBackoff() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        let popped = try #require(await queue.pop())
        await queue.requeue(popped.key, rejectedBy: [], error: true)
        #expect(await queue.location(of: popped.key) == .backoff)
    }

    /// Upstream's SchedulerPopFromBackoffQ: with nothing active, an unschedulable pod waiting in
    /// backoff is tried at once (a waiting scheduler is woken for it); a pod whose attempt failed
    /// with an error waits out its backoff.
    @Test func anIdleQueuePopsAnUnschedulablePodFromBackoffButNotAnErroredOne() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        let a = try #require(await queue.pop())
        await queue.clusterChanged([.nodeAdded])
        await queue.requeue(a.key, rejectedBy: ["NodeResourcesFit"])
        #expect(await queue.location(of: a.key) == .backoff)
        let again = try #require(await queue.pop())
        #expect(again.key == a.key && again.attempts == 2)

        // A scheduler already waiting is woken when the pod enters backoff.
        async let waiting = queue.pop()
        await queue.clusterChanged([.nodeAdded])
        await queue.requeue(again.key, rejectedBy: ["NodeResourcesFit"])
        #expect(await waiting?.key == a.key)

        await queue.requeue(a.key, rejectedBy: [], error: true)
        #expect(await queue.location(of: a.key) == .backoff)
        let none = await withTaskGroup(of: QueuedPod?.self) { group in
            group.addTask { await queue.pop() }
            group.addTask { try? await Task.sleep(for: .milliseconds(200)); await queue.close(); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(none == nil)
        #expect(await queue.location(of: a.key) == .backoff)
    }

    @Test func backoffGrowsWithAttempts() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        for attempt in 1...3 {
            let popped = try #require(await queue.pop())
            #expect(popped.attempts == attempt)
            await queue.requeue(popped.key, rejectedBy: [], error: true)
            let wait = BackoffPolicy().duration(attempts: attempt)
            clock.advance(wait - 0.5)
            await queue.flushBackoffCompleted()
            #expect(await queue.location(of: "default/a") == .backoff)
            clock.advance(0.5)
            await queue.flushBackoffCompleted()
            #expect(await queue.location(of: "default/a") == .active)
        }
    }

    @Test func unschedulablePodsAreRetriedAfterFiveMinutes() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        try await fail(queue, "a", plugins: ["NodeResourcesFit"])
        clock.advance(299)
        await queue.flushUnschedulableLeftover()
        #expect(await queue.location(of: "default/a") == .unschedulable)
        clock.advance(1)
        await queue.flushUnschedulableLeftover()
        #expect(await queue.location(of: "default/a") == .active)
    }

    @Test func doneForgetsThePod() async throws {
        let queue = makeQueue()
        await queue.add(pod("a"))
        let popped = try #require(await queue.pop())
        await queue.done(popped.key)
        #expect(await queue.location(of: popped.key) == nil)
        // A later requeue for a finished pod has nothing to act on.
        await queue.requeue(popped.key, rejectedBy: ["NodeResourcesFit"])
        #expect(await queue.location(of: popped.key) == nil)
    }
}
