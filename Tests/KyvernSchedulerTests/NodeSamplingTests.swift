import KyvernAPI
import Testing
import Foundation
@testable import KyvernScheduler

@Suite struct NodeSamplingTests {
    @Test func numFeasibleNodesToFindAsUpstream() {
        let find = NodeSampling.numFeasibleNodesToFind
        #expect(find(nil, 50) == 50)
        #expect(find(nil, 99) == 99)
        #expect(find(nil, 100) == 100)
        // Adaptive: 50 - 500/125 = 46 % of 500 = 230.
        #expect(find(nil, 500) == 230)
        // 5,000 nodes: 50 - 40 = 10 % → 500.
        #expect(find(nil, 5000) == 500)
        // 6,000 nodes: 50 - 48 = 2 % → at least 5 % → 300.
        #expect(find(nil, 6000) == 300)
        #expect(find(0, 5000) == 500)
        // Explicit percentages, never below 100 nodes.
        #expect(find(1, 5000) == 100)
        #expect(find(30, 5000) == 1500)
        #expect(find(100, 5000) == 5000)
    }

    func snapshot(_ count: Int) -> Snapshot {
        Snapshot(nodes: (0..<count).map { NodeInfo(node: Fixtures.node(String(format: "n%05d", $0))) })
    }

    @Test func filteringStopsEarlyAndTheStartRotates() throws {
        let nodes = snapshot(300)
        let framework = Framework(plugins: [NodeResourcesFit()], percentageOfNodesToScore: 50)
        let first = try framework.schedule(pod: Fixtures.pod(), snapshot: nodes)
        #expect(first.totals.count == 150)
        #expect(first.totals["n00000"] != nil && first.totals["n00150"] == nil)
        let second = try framework.schedule(pod: Fixtures.pod(), snapshot: nodes)
        #expect(second.totals.count == 150)
        #expect(second.totals["n00150"] != nil && second.totals["n00000"] == nil)
        // Wraps around.
        let third = try framework.schedule(pod: Fixtures.pod(), snapshot: nodes)
        #expect(third.totals["n00000"] != nil)
    }

    @Test func aPodThatFitsNowhereIsDiagnosedOnEveryNode() {
        let framework = Framework(plugins: [NodeResourcesFit()])
        do {
            _ = try framework.schedule(pod: Fixtures.pod(requests: ["cpu": "64"]), snapshot: snapshot(1000))
            Issue.record("expected a FitError")
        } catch {
            #expect(error.nodeStatuses.count == 1000)
            #expect(error.message == "0/1000 nodes are available: 1000 Insufficient cpu.")
        }
    }

    @Test func aNominatedNodeThatFitsIsTakenDirectly() throws {
        var pod = Fixtures.pod()
        pod[path: ["status", "nominatedNodeName"]] = "n00042"
        let result = try Framework(plugins: [NodeResourcesFit()]).schedule(pod: pod, snapshot: snapshot(200))
        #expect(result.nodeName == "n00042")
    }

    /// Not a pass/fail check: prints the time per plain pod on 5,000 nodes with the default
    /// plugin set, to track the runner's speed (run in release for meaningful numbers).
    @Test func speedOfPlainPodsOnFiveThousandNodes() throws {
        let zones = ["a", "b", "c"]
        var snap = Snapshot(nodes: (0..<5000).map { i in
            NodeInfo(node: Fixtures.node(String(format: "n%05d", i), cpu: "32", memory: "128Gi",
                                         labels: ["kubernetes.io/hostname": String(format: "n%05d", i),
                                                  "topology.kubernetes.io/zone": zones[i % 3]]))
        })
        let framework = Framework(plugins: [
            NodeUnschedulable(), NodeName(), TaintToleration(), NodeAffinity(), NodePorts(), NodeResourcesFit(),
            InterPodAffinity(), PodTopologySpread(), DefaultPreemption(), ImageLocality(),
            NodeResourcesBalancedAllocation(),
        ], weights: ["TaintToleration": 3, "NodeAffinity": 2, "PodTopologySpread": 2, "InterPodAffinity": 2])
        let count = 200
        let pods = (0..<count).map { Fixtures.pod("p\($0)", requests: ["cpu": "100m", "memory": "128Mi"]) }
        let start = ContinuousClock.now
        for pod in pods {
            let node = try framework.schedule(pod: pod, snapshot: snap).nodeName
            var bound = pod
            bound[path: ["spec", "nodeName"]] = .string(node)
            snap.assume(pod: bound, on: node)
        }
        let elapsed = ContinuousClock.now - start
        print("speed: \(count) plain pods on 5000 nodes in \(elapsed), \(elapsed / count) per pod")
    }
}
