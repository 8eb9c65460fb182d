import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct FrameworkTests {
    /// A scorer that gives each node a fixed raw score, to test the weighted sum.
    struct FixedScore: ScorePlugin {
        let name: String
        let scores: [String: Int64]
        func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 { scores[node.name] ?? 0 }
    }

    /// A post-filter that reports a fixed message, like preemption's diagnosis.
    struct Reporting: PostFilterPlugin {
        let name = "Reporting"
        func postFilter(state: CycleState, pod: JSONValue, nodeStatuses: [String: Status])
            -> (nominatedNodeName: String?, status: Status) {
            (nil, .unschedulable("\(nodeStatuses.count) nodes considered"))
        }
    }

    /// A pre-filter that rejects every pod.
    struct RejectAll: PreFilterPlugin {
        let name = "RejectAll"
        func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
            .unresolvable("pod has unbound immediate PersistentVolumeClaims")
        }
    }

    @Test func diagnosisCountsAndSortsReasonsAsUpstream() throws {
        let snapshot = Snapshot(nodes: [
            NodeInfo(node: Fixtures.node("small", cpu: "1", labels: ["disktype": "ssd"])),
            NodeInfo(node: Fixtures.node("hdd1")),
            NodeInfo(node: Fixtures.node("hdd2")),
        ])
        let pod = Fixtures.pod(requests: ["cpu": "2"], spec: ["nodeSelector": ["disktype": "ssd"]])
        let framework = Framework(plugins: [NodeAffinity(), NodeResourcesFit()])
        #expect(throws: FitError.self) { try framework.schedule(pod: pod, snapshot: snapshot) }
        do {
            _ = try framework.schedule(pod: pod, snapshot: snapshot)
        } catch {
            #expect(error.message
                == "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.")
            #expect(error.nodeStatuses["small"]?.plugin == "NodeResourcesFit")
            #expect(error.nodeStatuses["small"]?.code == .unschedulableAndUnresolvable)
            #expect(error.nodeStatuses["hdd1"]?.plugin == "NodeAffinity")
        }
    }

    @Test func histogramSortsAsStringsAndKeepsEveryReasonOfANode() {
        var statuses: [String: Status] = [:]
        for i in 0..<10 { statuses["n\(i)"] = .unschedulable("Insufficient memory") }
        statuses["a"] = .unschedulable("Too many pods", "Insufficient cpu")
        statuses["b"] = .unschedulable("Insufficient cpu")
        let error = FitError(numAllNodes: 12, nodeStatuses: statuses)
        #expect(error.message == "0/12 nodes are available: 1 Too many pods, 10 Insufficient memory, 2 Insufficient cpu.")
        #expect(FitError(numAllNodes: 0, nodeStatuses: [:]).message == "no nodes available to schedule pods")
        #expect(throws: FitError(numAllNodes: 0, nodeStatuses: [:])) {
            try Framework(plugins: [NodeResourcesFit()]).schedule(pod: Fixtures.pod(), snapshot: Snapshot(nodes: []))
        }
    }

    @Test func preFilterRejectionReplacesPerNodeReasonsAndPostFilterAppends() {
        let snapshot = Snapshot(nodes: [NodeInfo(node: Fixtures.node("a")), NodeInfo(node: Fixtures.node("b"))])
        let framework = Framework(plugins: [RejectAll(), Reporting()])
        do {
            _ = try framework.schedule(pod: Fixtures.pod(), snapshot: snapshot)
            Issue.record("expected a FitError")
        } catch {
            #expect(error.message == "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."
                + " 2 nodes considered.")
        }
    }

    @Test func weightedSumPicksBestAndBreaksTiesByName() throws {
        let snapshot = Snapshot(nodes: ["c", "b", "a"].map { NodeInfo(node: Fixtures.node($0)) })
        let one = FixedScore(name: "One", scores: ["a": 10, "b": 30, "c": 20])
        let two = FixedScore(name: "Two", scores: ["a": 50, "b": 0, "c": 10])
        let result = try Framework(plugins: [one, two], weights: ["Two": 2]).schedule(pod: Fixtures.pod(), snapshot: snapshot)
        #expect(result.totals == ["a": 110, "b": 30, "c": 40])
        #expect(result.nodeName == "a")

        let tie = FixedScore(name: "Tie", scores: ["a": 5, "b": 7, "c": 7])
        #expect(try Framework(plugins: [tie]).schedule(pod: Fixtures.pod(), snapshot: snapshot).nodeName == "b")
    }

    @Test func singleFeasibleNodeSkipsScoring() throws {
        let snapshot = Snapshot(nodes: [NodeInfo(node: Fixtures.node("a")),
                                        NodeInfo(node: Fixtures.node("b", cpu: "100m"))])
        let result = try Framework(plugins: [NodeResourcesFit()])
            .schedule(pod: Fixtures.pod(requests: ["cpu": "1"]), snapshot: snapshot)
        #expect(result.nodeName == "a")
        #expect(result.totals.isEmpty)
    }

    @Test func skippedPreFilterSkipsItsFilter() throws {
        // NodeAffinity skips a pod without selector/affinity, so no node is rejected by it.
        let snapshot = Snapshot(nodes: [NodeInfo(node: Fixtures.node("a"))])
        #expect(try Framework(plugins: [NodeAffinity()]).schedule(pod: Fixtures.pod(), snapshot: snapshot).nodeName == "a")
    }

    @Test func defaultNormalizeScoreScalesAndReverses() {
        var scores = [NodeScore(name: "a", score: 2), NodeScore(name: "b", score: 3), NodeScore(name: "c", score: 0)]
        defaultNormalizeScore(100, reverse: false, scores: &scores)
        #expect(scores.map(\.score) == [66, 100, 0])
        var reversed = [NodeScore(name: "a", score: 1), NodeScore(name: "b", score: 3)]
        defaultNormalizeScore(100, reverse: true, scores: &reversed)
        #expect(reversed.map(\.score) == [67, 0])
        var zeros = [NodeScore(name: "a", score: 0)]
        defaultNormalizeScore(100, reverse: true, scores: &zeros)
        #expect(zeros.map(\.score) == [100])
    }
}
