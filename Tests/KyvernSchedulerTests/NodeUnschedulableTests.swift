import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct NodeUnschedulableTests {
    let cordoned = NodeInfo(node: Fixtures.node("n1", unschedulable: true))

    @Test func cordonedNodesRejectUnlessTolerated() {
        let plugin = NodeUnschedulable()
        #expect(plugin.filter(state: CycleState(), pod: Fixtures.pod(), node: NodeInfo(node: Fixtures.node("n2"))) == .success)
        #expect(plugin.filter(state: CycleState(), pod: Fixtures.pod(), node: cordoned)
            == .unresolvable("node(s) were unschedulable"))
        let tolerant = Fixtures.pod(spec: ["tolerations": [
            ["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"]]])
        #expect(plugin.filter(state: CycleState(), pod: tolerant, node: cordoned) == .success)
        let wrongEffect = Fixtures.pod(spec: ["tolerations": [
            ["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"]]])
        #expect(plugin.filter(state: CycleState(), pod: wrongEffect, node: cordoned) != .success)
    }
}
