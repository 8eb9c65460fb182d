import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct ResourcesTests {
    @Test func parsesQuantitiesInComparisonUnits() {
        let r = Resources(list: ["cpu": "1500m", "memory": "1Gi", "ephemeral-storage": "1k",
                                 "pods": "110", "example.com/gpu": 2, "hugepages-2Mi": "4Mi"])
        #expect(r.milliCPU == 1500)
        #expect(r.memory == 1 << 30)
        #expect(r.ephemeralStorage == 1000)
        #expect(r.allowedPodNumber == 110)
        #expect(r.scalar == ["example.com/gpu": 2, "hugepages-2Mi": 4 << 20])
        // Fractions round up, as upstream's Value().
        #expect(Resources(list: ["cpu": "0.0001", "memory": "1.5"]) == Resources(milliCPU: 1, memory: 2))
    }

    @Test func podRequestsSumContainersAndTakeLargestInitPlusOverhead() {
        let pod = Fixtures.pod(requests: ["cpu": "100m", "memory": "100Mi"], spec: [
            "containers": [
                Fixtures.container("a", requests: ["cpu": "100m", "memory": "100Mi"]),
                Fixtures.container("b", requests: ["cpu": "200m"]),
            ],
            "initContainers": [
                Fixtures.container("init1", requests: ["cpu": "500m", "memory": "50Mi"]),
                Fixtures.container("init2", requests: ["memory": "300Mi"]),
            ],
            "overhead": ["cpu": "10m", "memory": "1Mi"],
        ])
        let requests = PodRequests(pod: pod)
        #expect(requests.requests == Resources(milliCPU: 510, memory: 301 << 20))
        // Scoring defaults: "b" requests no memory, so 200Mi is assumed for it.
        #expect(requests.nonZero.milliCPU == 510)
        // Containers 100Mi + 200Mi(default) = 300Mi ties the largest init container; plus overhead.
        #expect(requests.nonZero.memory == 301 << 20)
    }

    @Test func sidecarInitContainersAddToLaterSteps() {
        let pod = Fixtures.pod(spec: [
            "containers": [Fixtures.container("main", requests: ["cpu": "100m"])],
            "initContainers": [
                Fixtures.container("sidecar", requests: ["cpu": "200m"], extra: ["restartPolicy": "Always"]),
                Fixtures.container("setup", requests: ["cpu": "250m"]),
            ],
        ])
        // Steps: sidecar 200; setup 250+200 = 450; running: main 100 + sidecar 200 = 300.
        #expect(PodRequests(pod: pod).requests.milliCPU == 450)
    }

    @Test func nodeInfoCountsPodsAndPorts() {
        let withPort = Fixtures.pod("a", requests: ["cpu": "1", "memory": "1Gi"], spec: [
            "containers": [Fixtures.container(requests: ["cpu": "1", "memory": "1Gi"],
                                              extra: ["ports": [["containerPort": 80, "hostPort": 8080]]])],
        ])
        var info = NodeInfo(node: Fixtures.node("n1"), pods: [withPort, Fixtures.pod("b")])
        #expect(info.podCount == 2)
        #expect(info.requested == Resources(milliCPU: 1000, memory: 1 << 30))
        #expect(info.nonZeroRequested == Resources(milliCPU: 1100, memory: (1 << 30) + (200 << 20)))
        #expect(info.usedPorts == [HostPort(port: 8080)])
        #expect(info.allocatable.milliCPU == 4000)

        info.add(pod: withPort) // the same pod again replaces, not doubles
        #expect(info.requested.milliCPU == 1000)
        info.remove(podKey: "default/a")
        #expect(info.requested == Resources())
        #expect(info.usedPorts.isEmpty)
        #expect(info.podCount == 1)
    }

    @Test func hostPortConflicts() {
        #expect(HostPort(port: 80).conflicts(with: HostPort(ip: "10.0.0.1", port: 80)))
        #expect(!HostPort(ip: "10.0.0.2", port: 80).conflicts(with: HostPort(ip: "10.0.0.1", port: 80)))
        #expect(!HostPort(proto: "UDP", port: 80).conflicts(with: HostPort(port: 80)))
    }

    @Test func snapshotAssignsPodsByNodeNameAndAssumes() {
        var snapshot = Snapshot(
            nodes: [Fixtures.node("b"), Fixtures.node("a")],
            pods: [Fixtures.pod("x", requests: ["cpu": "1"], spec: ["nodeName": "b"]), Fixtures.pod("pending")])
        #expect(snapshot.nodes.map(\.name) == ["a", "b"])
        #expect(snapshot["b"]?.requested.milliCPU == 1000)
        #expect(snapshot["a"]?.podCount == 0)
        snapshot.assume(pod: Fixtures.pod("y", requests: ["cpu": "2"]), on: "a")
        #expect(snapshot["a"]?.requested.milliCPU == 2000)
    }
}
