import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct NodeResourcesFitTests {
    let plugin = NodeResourcesFit()

    func filter(_ pod: JSONValue, _ node: NodeInfo, _ plugin: NodeResourcesFit = NodeResourcesFit()) -> Status {
        var state = CycleState()
        _ = plugin.preFilter(state: &state, pod: pod, nodes: [node])
        return plugin.filter(state: state, pod: pod, node: node)
    }

    func score(_ pod: JSONValue, _ node: NodeInfo, _ plugin: NodeResourcesFit) -> Int64 {
        var state = CycleState()
        _ = plugin.preFilter(state: &state, pod: pod, nodes: [node])
        return plugin.score(state: state, pod: pod, node: node)
    }

    /// 4 cpu / 8Gi, with a pod already using 3 cpu and 2Gi.
    var busy: NodeInfo {
        NodeInfo(node: Fixtures.node("busy"), pods: [Fixtures.pod("old", requests: ["cpu": "3", "memory": "2Gi"])])
    }
    /// 8 cpu / 8Gi, empty.
    var big: NodeInfo { NodeInfo(node: Fixtures.node("big", cpu: "8")) }

    @Test func fitsWhatIsLeft() {
        #expect(filter(Fixtures.pod(requests: ["cpu": "1", "memory": "6Gi"]), busy) == .success)
    }

    @Test func insufficientButWithinAllocatableIsResolvable() {
        #expect(filter(Fixtures.pod(requests: ["cpu": "2"]), busy) == .unschedulable("Insufficient cpu"))
        #expect(filter(Fixtures.pod(requests: ["cpu": "1100m", "memory": "7Gi"]), busy)
            == .unschedulable("Insufficient cpu", "Insufficient memory"))
    }

    @Test func moreThanTheWholeNodeIsUnresolvable() {
        #expect(filter(Fixtures.pod(requests: ["cpu": "5"]), busy) == .unresolvable("Insufficient cpu"))
        #expect(filter(Fixtures.pod(requests: ["ephemeral-storage": "101Gi"]), big)
            == .unresolvable("Insufficient ephemeral-storage"))
    }

    @Test func podCountAndExtendedResources() {
        let full = NodeInfo(node: Fixtures.node("full", pods: 1), pods: [Fixtures.pod("old")])
        #expect(filter(Fixtures.pod(), full) == .unschedulable("Too many pods"))
        #expect(filter(Fixtures.pod(requests: ["cpu": "5"]), full) == .unresolvable("Too many pods", "Insufficient cpu"))

        let gpuPod = Fixtures.pod(requests: ["example.com/gpu": "2"])
        let oneGPU = NodeInfo(node: Fixtures.node("g", extra: ["example.com/gpu": "1"]))
        let fourGPU = NodeInfo(node: Fixtures.node("g4", extra: ["example.com/gpu": "4"]),
                               pods: [Fixtures.pod("old", requests: ["example.com/gpu": "3"])])
        #expect(filter(gpuPod, oneGPU) == .unresolvable("Insufficient example.com/gpu"))
        #expect(filter(gpuPod, big) == .unresolvable("Insufficient example.com/gpu"))
        #expect(filter(gpuPod, fourGPU) == .unschedulable("Insufficient example.com/gpu"))
        #expect(filter(Fixtures.pod(requests: ["example.com/gpu": "1"]), fourGPU) == .success)
    }

    @Test func leastAllocatedPrefersRoom() {
        let pod = Fixtures.pod(requests: ["cpu": "1", "memory": "2Gi"])
        let half = NodeInfo(node: Fixtures.node("half"), pods: [Fixtures.pod("old", requests: ["cpu": "1", "memory": "2Gi"])])
        // cpu 2000/4000 -> 50, memory 4Gi/8Gi -> 50.
        #expect(score(pod, half, plugin) == 50)
        // cpu 1000/8000 -> 87, memory 2Gi/8Gi -> 75: (87 + 75) / 2.
        #expect(score(pod, big, plugin) == 81)
        let cpuHeavy = NodeResourcesFit(resources: [.init("cpu", weight: 3), .init("memory")])
        #expect(score(pod, big, cpuHeavy) == (87 * 3 + 75) / 4)
        // A pod without requests still counts 100m and 200Mi: 7900/8000 -> 98, 7992Mi/8192Mi -> 97.
        #expect(score(Fixtures.pod(), big, plugin) == 97)
    }

    @Test func mostAllocatedPrefersFullNodes() {
        let most = NodeResourcesFit(strategy: .mostAllocated)
        let pod = Fixtures.pod(requests: ["cpu": "1", "memory": "2Gi"])
        let half = NodeInfo(node: Fixtures.node("half"), pods: [Fixtures.pod("old", requests: ["cpu": "1", "memory": "2Gi"])])
        #expect(score(pod, half, most) == 50)
        #expect(score(pod, big, most) == (12 + 25) / 2)
    }

    @Test func requestedToCapacityRatioFollowsTheShape() {
        let pod = Fixtures.pod(requests: ["cpu": "1", "memory": "2Gi"])
        let packing = NodeResourcesFit(strategy: .requestedToCapacityRatio(shape: [
            .init(utilization: 0, score: 0), .init(utilization: 100, score: 10)]))
        // utilization 12 and 25 -> scores 12 and 25, average 18.5 rounded to nearest.
        #expect(score(pod, big, packing) == 19)
        let spreading = NodeResourcesFit(strategy: .requestedToCapacityRatio(shape: [
            .init(utilization: 0, score: 10), .init(utilization: 100, score: 0)]))
        #expect(score(pod, big, spreading) == 82)
        let stepped = NodeResourcesFit(strategy: .requestedToCapacityRatio(shape: [
            .init(utilization: 20, score: 2), .init(utilization: 50, score: 8)]))
        // cpu 12 <= 20 -> 20; memory 25 -> 20 + 60 * 5 / 30 = 30.
        #expect(score(pod, big, stepped) == 25)
    }

    @Test func extendedResourcesScoreOnlyWhenRequested() {
        let most = NodeResourcesFit(strategy: .mostAllocated, resources: [.init("cpu"), .init("example.com/gpu")])
        let gpuNode = NodeInfo(node: Fixtures.node("g", cpu: "8", extra: ["example.com/gpu": "4"]))
        // Without a gpu request only cpu counts: 1000/8000 -> 12.
        #expect(score(Fixtures.pod(requests: ["cpu": "1"]), gpuNode, most) == 12)
        #expect(score(Fixtures.pod(requests: ["cpu": "1", "example.com/gpu": "1"]), gpuNode, most) == (12 + 25) / 2)
    }

    @Test func mostAllocatedPacksAndLeastAllocatedSpreads() throws {
        let snapshot = Snapshot(nodes: [
            NodeInfo(node: Fixtures.node("empty")),
            NodeInfo(node: Fixtures.node("used"), pods: [Fixtures.pod("old", requests: ["cpu": "2", "memory": "4Gi"])]),
        ])
        let pod = Fixtures.pod(requests: ["cpu": "1", "memory": "1Gi"])
        let spread = try Framework(plugins: [NodeResourcesFit()]).schedule(pod: pod, snapshot: snapshot)
        #expect(spread.nodeName == "empty")
        // empty: cpu 3000/4000 -> 75, memory 7Gi/8Gi -> 87; used: 25 and 37.
        #expect(spread.totals == ["empty": 81, "used": 31])
        let pack = try Framework(plugins: [NodeResourcesFit(strategy: .mostAllocated)]).schedule(pod: pod, snapshot: snapshot)
        #expect(pack.nodeName == "used")
        #expect(pack.totals == ["empty": 18, "used": 68])
    }
}
