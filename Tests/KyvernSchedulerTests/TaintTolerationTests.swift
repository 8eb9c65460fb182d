import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct TaintTolerationTests {
    let plugin = TaintToleration()

    func node(_ taints: JSONValue...) -> NodeInfo {
        NodeInfo(node: Fixtures.node("n", taints: taints))
    }

    func pod(_ tolerations: JSONValue...) -> JSONValue {
        Fixtures.pod(spec: ["tolerations": .array(tolerations)])
    }

    @Test func untoleratedNoScheduleAndNoExecuteReject() {
        let gpu = node(Fixtures.taint("dedicated", "gpu", effect: "NoSchedule"))
        #expect(plugin.filter(state: CycleState(), pod: Fixtures.pod(), node: gpu)
            == .unresolvable("node(s) had untolerated taint {dedicated: gpu}"))
        let draining = node(Fixtures.taint("node.kubernetes.io/not-ready", effect: "NoExecute"))
        #expect(plugin.filter(state: CycleState(), pod: Fixtures.pod(), node: draining)
            == .unresolvable("node(s) had untolerated taint {node.kubernetes.io/not-ready: }"))
        let soft = node(Fixtures.taint("dedicated", "gpu", effect: "PreferNoSchedule"))
        #expect(plugin.filter(state: CycleState(), pod: Fixtures.pod(), node: soft) == .success)
    }

    @Test func tolerationMatching() {
        let gpu = node(Fixtures.taint("dedicated", "gpu", effect: "NoSchedule"))
        let cases: [(JSONValue, Bool)] = [
            (["key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"], true),
            (["key": "dedicated", "value": "gpu"], true),
            (["key": "dedicated", "operator": "Exists"], true),
            (["operator": "Exists"], true),
            (["key": "dedicated", "value": "cpu"], false),
            (["key": "dedicated", "operator": "Exists", "effect": "NoExecute"], false),
            (["key": "other", "operator": "Exists"], false),
        ]
        for (toleration, tolerated) in cases {
            #expect(plugin.filter(state: CycleState(), pod: pod(toleration), node: gpu).isSuccess == tolerated)
        }
    }

    @Test func scoreCountsUntoleratedPreferNoScheduleReversed() {
        let nodes = [
            NodeInfo(node: Fixtures.node("clean")),
            NodeInfo(node: Fixtures.node("one", taints: [Fixtures.taint("a", effect: "PreferNoSchedule"),
                                                         Fixtures.taint("tolerated", effect: "PreferNoSchedule")])),
            NodeInfo(node: Fixtures.node("two", taints: [Fixtures.taint("a", effect: "PreferNoSchedule"),
                                                         Fixtures.taint("b", effect: "PreferNoSchedule"),
                                                         Fixtures.taint("c", effect: "NoSchedule")])),
        ]
        // A NoSchedule-only toleration does not help with PreferNoSchedule.
        let pod = pod(["key": "tolerated", "operator": "Exists"], ["key": "a", "operator": "Exists", "effect": "NoSchedule"])
        var state = CycleState()
        _ = plugin.preScore(state: &state, pod: pod, nodes: nodes)
        var scores = nodes.map { NodeScore(name: $0.name, score: plugin.score(state: state, pod: pod, node: $0)) }
        #expect(scores.map(\.score) == [0, 1, 2])
        plugin.normalizeScores(state: state, pod: pod, scores: &scores)
        #expect(scores.map(\.score) == [100, 50, 0])
    }
}
