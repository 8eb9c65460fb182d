import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing

@testable import KyvernKubelet

@Suite("Simulated node fleet against the fake API", .serialized)
struct SimulatedNodeFleetTests {
    static func waitUntil(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    static func config(_ count: Int) -> SimulatedNodeConfig {
        var config = SimulatedNodeConfig(count: count)
        config.leaseRenewInterval = .milliseconds(300)
        config.statusUpdateFrequency = .milliseconds(400)
        config.concurrency = 4
        return config
    }

    @Test func registersNodesKeepsLeasesFreshRunsAndDeletesPods() async throws {
        let fake = FakeClient()
        let fleet = SimulatedNodeFleet(client: fake, config: Self.config(3), logger: Logger(label: "test"))
        let task = Task { try await fleet.run() }

        #expect(await Self.waitUntil { fake.objects(.nodes).count == 3 && fake.objects(.leases).count == 3 })
        #expect(fake.objects(.nodes).compactMap(\.name) == ["sim-0", "sim-1", "sim-2"])
        let lease = try #require(fake.object(.leases, namespace: "kube-node-lease", name: "sim-1"))
        let node = try #require(fake.object(.nodes, name: "sim-1"))
        #expect(lease[path: ["metadata", "ownerReferences"]] ==
            [["apiVersion": "v1", "kind": "Node", "name": "sim-1", "uid": node[path: ["metadata", "uid"]] ?? .null]])
        let firstRenewal = try #require(lease[path: ["spec", "renewTime"]]?.stringValue)
        #expect(await Self.waitUntil {
            fake.object(.leases, namespace: "kube-node-lease", name: "sim-1")?[path: ["spec", "renewTime"]]?.stringValue != firstRenewal
        })
        #expect(await Self.waitUntil { fake.writes.contains { $0.resource == "nodes" && $0.subresource == "status" } })

        try fake.seed(.pods, [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "web", "namespace": "default"],
            "spec": ["nodeName": "sim-1", "containers": [["name": "app", "image": "nginx"]]],
        ], [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "elsewhere", "namespace": "default"],
            "spec": ["nodeName": "real-node", "containers": [["name": "app", "image": "nginx"]]],
        ])
        #expect(await Self.waitUntil {
            fake.object(.pods, namespace: "default", name: "web")?[path: ["status", "phase"]] == "Running"
        })
        let web = try #require(fake.object(.pods, namespace: "default", name: "web"))
        #expect(web[path: ["status", "podIP"]] == "10.128.1.2")
        #expect(web[path: ["status", "hostIP"]] == "172.16.0.2")
        #expect(fake.object(.pods, namespace: "default", name: "elsewhere")?["status"] == nil)
        #expect(!fake.writes.contains { $0.resource == "pods" && $0.name == "elsewhere" })

        // A user's delete leaves the pod terminating; the agent stops its containers and completes it.
        try await fake.delete(.pods, namespace: "default", name: "web", options: DeleteOptions())
        #expect(await Self.waitUntil { fake.object(.pods, namespace: "default", name: "web") == nil })
        let podWrites = fake.writes.filter { $0.resource == "pods" && $0.name == "web" }.map { "\($0.verb) \($0.subresource ?? "")" }
        #expect(podWrites == ["patch status", "delete ", "patch status", "delete "], "\(fake.writes.filter { $0.resource == "pods" })")

        task.cancel()
        try await task.value
        #expect(fake.objects(.nodes).count == 3)  // a stopped agent leaves its nodes
    }

    @Test func anExistingNodeIsUpdatedNotDuplicated() async throws {
        let fake = FakeClient()
        let seeded = try fake.seed(.nodes, [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": "sim-0", "labels": ["team": "a"]],
            "spec": ["podCIDR": "10.200.0.0/24", "podCIDRs": ["10.200.0.0/24"]],
        ])
        let fleet = SimulatedNodeFleet(client: fake, config: Self.config(1), logger: Logger(label: "test"))
        let task = Task { try await fleet.run() }
        #expect(await Self.waitUntil {
            fake.object(.nodes, name: "sim-0")?[path: ["status", "nodeInfo", "kubeletVersion"]] == "v1.36.0"
        })
        task.cancel()
        try await task.value
        let node = try #require(fake.object(.nodes, name: "sim-0"))
        #expect(node[path: ["metadata", "uid"]] == seeded[0][path: ["metadata", "uid"]])
        #expect(node[path: ["metadata", "labels", "team"]] == "a")
        #expect(node[path: ["metadata", "labels", "kubernetes.io/hostname"]] == "sim-0")
        #expect(node[path: ["spec", "podCIDR"]] == "10.200.0.0/24")
        #expect(node[path: ["status", "conditions"]]?.arrayValue?.last?["reason"] == "KubeletReady")
    }
}
