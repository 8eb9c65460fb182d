import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct SchedulerCacheTests {
    func bound(_ name: String, to node: String, cpu: String = "1") -> JSONValue {
        var pod = Fixtures.pod(name, requests: ["cpu": .string(cpu)])
        pod[path: ["spec", "nodeName"]] = .string(node)
        return pod
    }

    @Test func snapshotHoldsNodesAndTheirPods() async {
        let cache = SchedulerCache()
        await cache.addNode(Fixtures.node("b"))
        await cache.addNode(Fixtures.node("a"))
        await cache.addPod(bound("p1", to: "a"))
        await cache.addPod(bound("p2", to: "a", cpu: "500m"))
        let snapshot = await cache.snapshot()
        #expect(snapshot.nodes.map(\.name) == ["a", "b"])
        #expect(snapshot["a"]?.requested.milliCPU == 1500)
        #expect(snapshot["a"]?.podCount == 2)
        #expect(snapshot["b"]?.podCount == 0)
    }

    @Test func podSeenBeforeItsNodeCountsOnceTheNodeArrives() async {
        let cache = SchedulerCache()
        await cache.addPod(bound("p1", to: "late"))
        #expect(await cache.snapshot().nodes.isEmpty)
        await cache.addNode(Fixtures.node("late"))
        #expect(await cache.snapshot()["late"]?.requested.milliCPU == 1000)
    }

    @Test func assumedPodCountsUntilForgotten() async throws {
        let cache = SchedulerCache()
        await cache.addNode(Fixtures.node("a"))
        _ = await cache.snapshot()
        try await cache.assume(Fixtures.pod("p", requests: ["cpu": "2"]), on: "a")
        #expect(await cache.isAssumed("default/p"))
        #expect(await cache.snapshot()["a"]?.requested.milliCPU == 2000)
        await cache.forget("default/p")
        #expect(await cache.snapshot()["a"]?.requested.milliCPU == 0)
        #expect(await cache.podCount == 0)
    }

    @Test func assumingTwiceFails() async throws {
        let cache = SchedulerCache()
        await cache.addNode(Fixtures.node("a"))
        try await cache.assume(Fixtures.pod("p"), on: "a")
        await #expect(throws: SchedulerCache.CacheError.alreadyPresent("default/p")) {
            try await cache.assume(Fixtures.pod("p"), on: "a")
        }
    }

    @Test func informerConfirmsAssumedPodOnItsRealNode() async throws {
        let cache = SchedulerCache()
        await cache.addNode(Fixtures.node("a"))
        await cache.addNode(Fixtures.node("b"))
        try await cache.assume(Fixtures.pod("p", requests: ["cpu": "1"]), on: "a")
        await cache.finishBinding("default/p")
        await cache.addPod(bound("p", to: "b"))
        #expect(await cache.isAssumed("default/p") == false)
        let snapshot = await cache.snapshot()
        #expect(snapshot["a"]?.podCount == 0)
        #expect(snapshot["b"]?.requested.milliCPU == 1000)
        // Forgetting a confirmed pod is a no-op.
        await cache.forget("default/p")
        #expect(await cache.snapshot()["b"]?.podCount == 1)
    }

    @Test func removedPodFreesItsNode() async {
        let cache = SchedulerCache()
        await cache.addNode(Fixtures.node("a"))
        await cache.addPod(bound("p", to: "a"))
        _ = await cache.snapshot()
        await cache.removePod(bound("p", to: "a"))
        #expect(await cache.snapshot()["a"]?.podCount == 0)
    }

    @Test func nodeUpdateKeepsPodsAndRemovalDropsNode() async {
        let cache = SchedulerCache()
        let node = Fixtures.node("a", cpu: "2")
        await cache.addNode(node)
        await cache.addPod(bound("p", to: "a"))
        _ = await cache.snapshot()
        var bigger = node
        bigger[path: ["status", "allocatable", "cpu"]] = "16"
        await cache.updateNode(old: node, new: bigger)
        let snapshot = await cache.snapshot()
        #expect(snapshot["a"]?.allocatable.milliCPU == 16000)
        #expect(snapshot["a"]?.requested.milliCPU == 1000)
        await cache.removeNode(bigger)
        #expect(await cache.snapshot().nodes.isEmpty)
        // Its pods come back with it.
        await cache.addNode(node)
        #expect(await cache.snapshot()["a"]?.podCount == 1)
    }

    @Test func heartbeatUpdatesLeaveTheSnapshotAlone() async {
        let cache = SchedulerCache()
        let node = Fixtures.node("a")
        await cache.addNode(node)
        _ = await cache.snapshot()
        var heartbeat = node
        heartbeat[path: ["status", "conditions"]] = [["type": "Ready", "status": "True"]]
        await cache.updateNode(old: node, new: heartbeat)
        #expect(await cache.snapshot()["a"]?.node[path: ["status", "conditions"]] == nil)
    }

    @Test func earlierSnapshotsDoNotChange() async throws {
        let cache = SchedulerCache()
        await cache.addNode(Fixtures.node("a"))
        let before = await cache.snapshot()
        try await cache.assume(Fixtures.pod("p", requests: ["cpu": "1"]), on: "a")
        let after = await cache.snapshot()
        #expect(before["a"]?.requested.milliCPU == 0)
        #expect(after["a"]?.requested.milliCPU == 1000)
    }

    @Test func fiveThousandNodeSnapshotsStayCheap() async throws {
        let cache = SchedulerCache()
        for i in 0..<5000 { await cache.addNode(Fixtures.node("node-\(i)")) }
        _ = await cache.snapshot()
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for i in 0..<200 {
                try await cache.assume(Fixtures.pod("p\(i)", requests: ["cpu": "100m"]), on: "node-\(i % 5000)")
                _ = await cache.snapshot()
            }
        }
        // 200 incremental cycles must cost far less than 200 rebuilds of 5,000 nodes.
        #expect(elapsed < .seconds(1))
        #expect(await cache.snapshot()["node-7"]?.podCount == 1)
    }
}
