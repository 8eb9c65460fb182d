import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct NodeNameTests {
    let node = NodeInfo(node: Fixtures.node("n1"))

    @Test func onlyTheNamedNodeFits() {
        #expect(NodeName().filter(state: CycleState(), pod: Fixtures.pod(), node: node) == .success)
        #expect(NodeName().filter(state: CycleState(), pod: Fixtures.pod(spec: ["nodeName": "n1"]), node: node) == .success)
        #expect(NodeName().filter(state: CycleState(), pod: Fixtures.pod(spec: ["nodeName": "n2"]), node: node)
            == .unresolvable("node(s) didn't match the requested node name"))
    }
}
