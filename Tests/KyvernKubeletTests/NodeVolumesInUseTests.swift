import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import KyvernTestSupport
import Logging
import Testing

@testable import KyvernKubelet

@Suite("Node status: volumes in use")
struct NodeVolumesInUseTests {
    @Test func theStatusListsOnlyWhenThereAreSome() {
        let builder = NodeObjectBuilder(nodeName: "node-1", machine: NodeAgentNodeTests.machine, runtimeVersion: "",
                                        kubeletVersion: "v1.36.0", kubeletPort: 10250)
        #expect(builder.status(conditions: [])["volumesInUse"] == nil)
        #expect(builder.status(conditions: [], volumesInUse: ["kubernetes.io/local-volume/a"])["volumesInUse"] ==
            ["kubernetes.io/local-volume/a"])
    }

    @Test func runningPodsClaimVolumesAreReportedSortedOnceAndDroppedWhenThePodsGo() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            try FileManager.default.createDirectory(atPath: root + "/disk", withIntermediateDirectories: true)
            try bindClaim(client, claim: "shared", volume: "pvc-b", source: ["hostPath": ["path": .string(root + "/b"), "type": "DirectoryOrCreate"]])
            try bindClaim(client, claim: "local", volume: "local-a", source: ["local": ["path": .string(root + "/disk")]])
            try bindClaim(client, claim: "other", volume: "pvc-a", source: ["hostPath": ["path": .string(root + "/a"), "type": "DirectoryOrCreate"]])

            let builder = NodeObjectBuilder(nodeName: "node-1", machine: NodeAgentNodeTests.machine, runtimeVersion: "",
                                            kubeletVersion: "v1.36.0", kubeletPort: 10250)
            let clock = ManualClock()
            let reporter = NodeStatusReporter(client: client, runtime: FakeRuntime(), builder: builder, clock: clock,
                                              logger: Logger(label: "test"),
                                              readings: { NodeAgentNodeTests.healthy },
                                              volumesInUse: { await volumes.volumesInUse() })
            // One pod before registration: the Node is created with it.
            try await volumes.setUp(pod: volumePod(uid: "p1", volumes: [claimVolume("data", claim: "shared")]))
            try await reporter.register()
            #expect(client.object(.nodes, name: "node-1")?[path: ["status", "volumesInUse"]] == ["kubernetes.io/host-path/pvc-b"])

            // Two more pods, one sharing the claim: each volume once, sorted.
            try await volumes.setUp(pod: volumePod(uid: "p2", volumes: [claimVolume("x", claim: "shared"), claimVolume("y", claim: "local"),
                                                                        ["name": "scratch", "emptyDir": [:]]]))
            try await volumes.setUp(pod: volumePod(uid: "p3", volumes: [claimVolume("z", claim: "other")]))
            clock.advance(10)
            #expect(try await reporter.updateStatus())
            #expect(client.object(.nodes, name: "node-1")?[path: ["status", "volumesInUse"]] ==
                ["kubernetes.io/host-path/pvc-a", "kubernetes.io/host-path/pvc-b", "kubernetes.io/local-volume/local-a"])

            // The sharing pod goes: its claim's volume stays in use by the first pod.
            try await volumes.tearDown(podUID: "p2")
            try await volumes.tearDown(podUID: "p3")
            clock.advance(10)
            #expect(try await reporter.updateStatus())
            #expect(client.object(.nodes, name: "node-1")?[path: ["status", "volumesInUse"]] == ["kubernetes.io/host-path/pvc-b"])

            // The last one goes: the field is removed from the Node.
            try await volumes.tearDown(podUID: "p1")
            client.clearActions()
            clock.advance(10)
            #expect(try await reporter.updateStatus())
            #expect(client.actions.last?.body?[path: ["status", "volumesInUse"]] == JSONValue.null)
            #expect(client.object(.nodes, name: "node-1")?[path: ["status", "volumesInUse"]] == nil)
            #expect(client.object(.nodes, name: "node-1")?[path: ["status", "nodeInfo", "kubeletVersion"]] == "v1.36.0")
            clock.advance(10)
            #expect(try await reporter.updateStatus() == false)
        }
    }
}
