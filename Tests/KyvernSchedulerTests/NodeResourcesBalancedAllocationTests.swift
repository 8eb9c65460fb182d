import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct NodeResourcesBalancedAllocationTests {
    let plugin = NodeResourcesBalancedAllocation()

    @Test func scoresOneMinusTheDeviationOfTheFractions() throws {
        // 4 cpu / 8Gi nodes. Pod 1 cpu + 2Gi → 25 % / 25 %: perfectly balanced.
        let empty = NodeInfo(node: Fixtures.node("empty"))
        let cpuHeavy = NodeInfo(node: Fixtures.node("cpu"), pods: [Fixtures.pod("x", requests: ["cpu": "2"])])
        let pod = Fixtures.pod(requests: ["cpu": "1", "memory": "2Gi"])
        let snapshot = Snapshot(nodes: [empty, cpuHeavy])
        let scores = try #require(Fixtures.scoreAll(plugin, pod: pod, snapshot: snapshot))
        // cpu node: 75 % cpu vs 25 % memory → deviation 0.25 → 75.
        #expect(scores == ["empty": 100, "cpu": 75])
    }

    @Test func fractionsAreCappedAndThreeResourcesUseTheStandardDeviation() {
        let three = NodeResourcesBalancedAllocation(args: ["resources": [["name": "cpu"], ["name": "memory"],
                                                                         ["name": "ephemeral-storage"]]])
        #expect(three.resources == ["cpu", "memory", "ephemeral-storage"])
        let node = NodeInfo(node: Fixtures.node("n"))
        // cpu 8 of 4 → capped at 1; memory 0; storage 0 of 100Gi → mean 1/3, sd = sqrt(2/9) ≈ 0.471 → 52.
        let pod = Fixtures.pod(requests: ["cpu": "8"])
        var state = CycleState()
        #expect(three.preScore(state: &state, pod: pod, nodes: [node]) == .success)
        #expect(three.score(state: state, pod: pod, node: node) == 52)
    }

    @Test func bestEffortPodsAreSkipped() {
        var state = CycleState()
        #expect(plugin.preScore(state: &state, pod: Fixtures.pod(), nodes: []).isSkip)
    }
}
