import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct NodeIPAMTests {
    let client = FakeClient()

    func controller(_ cidr: String = "10.42.0.0/16") throws -> NodeIPAMController {
        NodeIPAMController(client: client, nodes: LiveNodes(client: client), cidr: try ClusterCIDR(parsing: cidr),
                           logger: Logger(label: "test"))
    }

    func podCIDR(_ node: String) -> JSONValue? {
        client.object(.nodes, name: node)?[path: ["spec", "podCIDR"]]
    }

    @Test func allocatesOneRangePerNodeAndPatchesBothFields() async throws {
        try client.seed(.nodes, EndpointFixtures.node("a"), EndpointFixtures.node("b"))
        let ipam = try controller()
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "a"))
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "b"))
        #expect(podCIDR("a") == "10.42.0.0/24")
        #expect(podCIDR("b") == "10.42.1.0/24")
        #expect(client.object(.nodes, name: "b")?[path: ["spec", "podCIDRs"]] == ["10.42.1.0/24"])
        #expect(client.writes.map(\.body) == [["spec": ["podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"]]],
                                              ["spec": ["podCIDR": "10.42.1.0/24", "podCIDRs": ["10.42.1.0/24"]]]])
        // Again: nothing to do.
        client.clearActions()
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(client.writes.isEmpty)
    }

    @Test func keepsExistingRangesAndLeavesForeignOnesAlone() async throws {
        try client.seed(.nodes, EndpointFixtures.node("has", podCIDR: "10.42.0.0/24"),
                        EndpointFixtures.node("simulated", podCIDR: "10.128.0.0/24"), EndpointFixtures.node("new"))
        let ipam = try controller()
        for name in ["has", "simulated", "new"] { try await ipam.reconcile(ObjectKey(namespace: nil, name: name)) }
        #expect(podCIDR("has") == "10.42.0.0/24")
        #expect(podCIDR("simulated") == "10.128.0.0/24")
        #expect(podCIDR("new") == "10.42.1.0/24")
        #expect(client.writes.count == 1)
    }

    @Test func aDeletedNodesRangeIsFreedAndHandedOutAgainWhenTheRestIsTaken() async throws {
        try client.seed(.nodes, EndpointFixtures.node("a"), EndpointFixtures.node("b"))
        let ipam = try controller("10.42.0.0/23")
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "a"))
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "b"))
        try await client.delete(.nodes, name: "a")
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "a"))
        try client.seed(.nodes, EndpointFixtures.node("c"))
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "c"))
        #expect(podCIDR("c") == "10.42.0.0/24")
    }

    @Test func aFullRangeRecordsCIDRNotAvailableAndRetries() async throws {
        try client.seed(.nodes, EndpointFixtures.node("a"), EndpointFixtures.node("b"))
        let ipam = try controller("10.42.0.0/24")
        try await ipam.reconcile(ObjectKey(namespace: nil, name: "a"))
        await #expect(throws: NodeIPAMError.self) { try await ipam.reconcile(ObjectKey(namespace: nil, name: "b")) }
        #expect(podCIDR("b") == nil)
        await ipam.recorder.flush()
        let events = client.objects(.events, namespace: "default")
        try #require(events.count == 1)
        #expect(events[0]["reason"] == "CIDRNotAvailable")
        #expect(events[0]["type"] == "Normal")
        #expect(events[0]["message"] == "Node b status is now: CIDRNotAvailable")
        #expect(events[0]["involvedObject"] == ["kind": "Node", "apiVersion": "v1", "name": "b", "uid": "b"])
        #expect(events[0]["source"] == ["component": "cidrAllocator"])
    }

    @Test func aRestartedControllerLearnsTakenRangesBeforeAllocating() async throws {
        try client.seed(.nodes, EndpointFixtures.node("new"), EndpointFixtures.node("old", podCIDR: "10.42.0.0/24"))
        try await controller().reconcile(ObjectKey(namespace: nil, name: "new"))
        #expect(podCIDR("new") == "10.42.1.0/24")
    }

    @Test func clusterCIDRValidation() throws {
        #expect(try ClusterCIDR(parsing: "10.42.7.9/16").description == "10.42.0.0/16")
        #expect(try ClusterCIDR(parsing: "10.42.0.0/16").subnetCount == 256)
        for (text, message) in [
            ("10.42.0.0", "--cluster-cidr: invalid CIDR address: 10.42.0.0"),
            ("10.42.0.300/16", "--cluster-cidr: invalid CIDR address: 10.42.0.300/16"),
            ("fd00::/48", "--cluster-cidr: only IPv4 ranges are supported, got fd00::/48"),
            ("10.42.0.0/25", "--cluster-cidr: 10.42.0.0/25 is smaller than one node's /24 pod range"),
            ("10.0.0.0/7", "--cluster-cidr: 10.0.0.0/7 is too large; the mask must be at least /8"),
        ] {
            #expect(throws: ClusterCIDRError.self) { try ClusterCIDR(parsing: text) }
            do {
                _ = try ClusterCIDR(parsing: text)
            } catch {
                #expect(error.description == message)
            }
        }
    }
}

/// The fake's nodes as they are at each read, as an informer that keeps up would show them.
struct LiveNodes: ObjectCache {
    let client: FakeClient

    func get(namespace: String?, name: String) async -> JSONValue? { client.object(.nodes, name: name) }
    func list(namespace: String?) async -> [JSONValue] { client.objects(.nodes) }
}
