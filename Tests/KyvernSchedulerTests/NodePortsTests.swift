import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct NodePortsTests {
    func pod(_ name: String, _ ports: JSONValue..., initSidecar: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = ["containers": [Fixtures.container(extra: ["ports": .array(ports)])]]
        if let initSidecar {
            spec["initContainers"] = [Fixtures.container("side", extra: ["restartPolicy": "Always", "ports": [initSidecar]])]
        }
        return Fixtures.pod(name, spec: spec)
    }

    func filter(_ pod: JSONValue, _ node: NodeInfo) -> Status {
        var state = CycleState()
        let pre = NodePorts().preFilter(state: &state, pod: pod, nodes: [node])
        if pre.isSkip { return pre }
        return NodePorts().filter(state: state, pod: pod, node: node)
    }

    @Test func hostPortConflictsRejectTheNode() {
        let node = NodeInfo(node: Fixtures.node("n"), pods: [
            pod("web", ["containerPort": 80, "hostPort": 8080]),
            pod("dns", ["containerPort": 53, "hostPort": 53, "protocol": "UDP", "hostIP": "10.0.0.1"]),
        ])
        #expect(filter(pod("x", ["containerPort": 80, "hostPort": 8080]), node)
            == .unschedulable("node(s) didn't have free ports for the requested pod ports"))
        #expect(filter(pod("x", ["containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.9"]), node) != .success)
        #expect(filter(pod("x", ["containerPort": 80, "hostPort": 8080, "protocol": "UDP"]), node) == .success)
        #expect(filter(pod("x", ["containerPort": 53, "hostPort": 53, "protocol": "UDP", "hostIP": "10.0.0.2"]), node)
            == .success)
        #expect(filter(pod("x", ["containerPort": 53, "hostPort": 53, "protocol": "UDP"]), node) != .success)
        // Sidecars hold their ports too.
        #expect(filter(pod("x", initSidecar: ["containerPort": 80, "hostPort": 8080]), node) != .success)
        // Container ports without a host port claim nothing: the plugin skips the pod.
        #expect(filter(pod("x", ["containerPort": 8080]), node).isSkip)
    }
}
