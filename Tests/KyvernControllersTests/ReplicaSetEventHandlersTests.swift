import KyvernAPI
import KyvernClient
import Prometheus
import Testing
@testable import KyvernControllers

@Suite struct ReplicaSetEventHandlersTests {
    let rs = Pods.replicaSet("web")
    let other = Pods.replicaSet("api", selector: ["app": "api"])
    let expectations = ControllerExpectations()
    let queue = ControllerQueue(queue: WorkQueue<ObjectKey>(),
                                metrics: ControllerMetrics(controller: "replicaset", registry: PrometheusCollectorRegistry()))

    var handlers: ReplicaSetEventHandlers {
        ReplicaSetEventHandlers(replicaSets: StaticCache(objects: [rs, other]), expectations: expectations, queue: queue)
    }

    /// The keys waiting in the queue, drained.
    func queued() async -> [String] {
        var keys: [String] = []
        while await queue.queue.count > 0, let key = await queue.queue.get() {
            keys.append(key.description)
            await queue.queue.done(key)
        }
        return keys.sorted()
    }

    @Test func ownedPodCreationIsObservedAndEnqueuesItsOwner() async {
        await expectations.expectCreations("default/web", 2)
        await handlers.podEvent(.added(Pods.pod("a", owner: Pods.ref(to: rs))))
        #expect(await expectations.pendingCounts("default/web")! == (1, 0))
        #expect(await queued() == ["default/web"])
    }

    @Test func orphanEnqueuesEveryMatchingReplicaSet() async {
        await handlers.podEvent(.added(Pods.pod("o", labels: ["app": "api"])))
        #expect(await queued() == ["default/api"])
        await handlers.podEvent(.added(Pods.pod("p", labels: ["app": "none"])))
        #expect(await queued() == [])
    }

    @Test func ownerReferencePointingElsewhereIsIgnored() async {
        var stale = Pods.ref(to: rs)
        stale["uid"] = "recreated"
        await handlers.podEvent(.added(Pods.pod("a", owner: stale)))
        #expect(await queued() == [])
    }

    @Test func deletionsAreObservedOnlyForAwaitedPods() async {
        await expectations.expectDeletions("default/web", podKeys: ["default/a"])
        await handlers.podEvent(.deleted(Pods.pod("b", owner: Pods.ref(to: rs))))
        #expect(await expectations.pendingCounts("default/web")! == (0, 1))
        await handlers.podEvent(.deleted(Pods.pod("a", owner: Pods.ref(to: rs))))
        #expect(await expectations.pendingCounts("default/web")! == (0, 0))
        #expect(await queued() == ["default/web"])
    }

    @Test func terminatingUpdateCountsAsDeletion() async {
        await expectations.expectDeletions("default/web", podKeys: ["default/a"])
        let old = Pods.pod("a", owner: Pods.ref(to: rs))
        var new = old
        new.resourceVersion = "2"
        new.deletionTimestamp = "2026-01-01T00:00:00Z"
        await handlers.podEvent(.updated(old: old, new: new))
        #expect(await expectations.pendingCounts("default/web")! == (0, 0))
        #expect(await queued() == ["default/web"])
    }

    @Test func relabelledOrphanAndChangedOwnerEnqueueBothSides() async {
        let old = Pods.pod("a", owner: Pods.ref(to: rs))
        var released = old
        released.resourceVersion = "2"
        released.ownerReferences = []
        released.labels = ["app": "api"]
        await handlers.podEvent(.updated(old: old, new: released))
        #expect(await queued() == ["default/api", "default/web"])
        // A resync (same resourceVersion) does nothing.
        await handlers.podEvent(.updated(old: old, new: old))
        #expect(await queued() == [])
    }

    @Test func replicaSetEventsEnqueueAndDeletionForgetsExpectations() async {
        await expectations.expectCreations("default/web", 1)
        await handlers.replicaSetEvent(.added(rs))
        #expect(await queued() == ["default/web"])
        await handlers.replicaSetEvent(.deleted(rs))
        #expect(await expectations.pendingCounts("default/web") == nil)
        #expect(await queued() == ["default/web"])
    }
}
