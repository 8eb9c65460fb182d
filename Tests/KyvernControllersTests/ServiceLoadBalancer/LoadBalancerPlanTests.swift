import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite("Service load balancer: address pool and plan")
struct LoadBalancerPlanTests {
    static func service(_ name: String, created: String = "2026-01-01T00:00:00Z", type: String = "LoadBalancer",
                        ports: [Int] = [80], cls: String? = nil, requested: String? = nil, holds: [String] = []) -> JSONValue {
        var spec: JSONValue = ["type": .string(type), "ports": .array(ports.map { ["port": .int(Int64($0)), "protocol": "TCP"] })]
        if let cls { spec["loadBalancerClass"] = .string(cls) }
        if let requested { spec["loadBalancerIP"] = .string(requested) }
        var status: JSONValue = ["loadBalancer": [:]]
        if !holds.isEmpty { status["loadBalancer"] = ["ingress": .array(holds.map { ["ip": .string($0), "ipMode": "VIP"] })] }
        return ["apiVersion": "v1", "kind": "Service",
                "metadata": ["name": .string(name), "namespace": "default", "creationTimestamp": .string(created)],
                "spec": spec, "status": status]
    }

    static func node(_ name: String, ip: String, ready: Bool = true, excluded: Bool = false) -> JSONValue {
        var node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)],
                               "status": ["addresses": [["type": "Hostname", "address": .string(name)],
                                                        ["type": "InternalIP", "address": .string(ip)]],
                                          "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]]
        if excluded { node[path: ["metadata", "labels"]] = [LoadBalancerPlan.excludeLabel: ""] }
        return node
    }

    static func key(_ name: String) -> ObjectKey { ObjectKey(namespace: "default", name: name) }

    @Test func poolEntriesParseAndSkipNetworkAndBroadcast() throws {
        let pool = try LoadBalancerAddressPool(["192.168.50.0/30,10.0.0.5-10.0.0.6", "172.16.0.9", "10.9.9.0/31"])
        #expect(pool.ranges.count == 4)
        #expect(pool.firstFree(excluding: []) == "192.168.50.1")
        #expect(pool.firstFree(excluding: ["192.168.50.1", "192.168.50.2"]) == "10.0.0.5")
        #expect(!pool.contains("192.168.50.0") && !pool.contains("192.168.50.3"))
        #expect(pool.contains("10.9.9.0") && pool.contains("10.9.9.1") && pool.contains("172.16.0.9"))
        #expect(pool.firstFree(excluding: ["192.168.50.1", "192.168.50.2", "10.0.0.5", "10.0.0.6", "172.16.0.9",
                                           "10.9.9.0", "10.9.9.1"]) == nil)
        #expect(try LoadBalancerAddressPool([]).isEmpty)
    }

    @Test func badPoolEntriesAreNamed() {
        for (entry, reason) in [("10.0.0.1/24", "host bits are set (the network is 10.0.0.0/24)"),
                                ("10.0.0.9-10.0.0.1", "the range ends before it starts"),
                                ("10.0.0/24", "not a valid IPv4 CIDR"), ("fd00::1", "not an IPv4 address, range or CIDR")] {
            #expect(throws: LoadBalancerPoolError(entry: entry, reason: reason)) { try LoadBalancerAddressPool([entry]) }
        }
        #expect(LoadBalancerPoolError(entry: "x", reason: "y").description == #"invalid --lb-address-pool entry "x": y"#)
    }

    @Test func poolGivesOneAddressEachKeepsHoldersAndHonoursRequests() throws {
        let pool = try LoadBalancerAddressPool(["10.5.0.10-10.5.0.12"])
        let plan = LoadBalancerPlan(services: [
            Self.service("new", created: "2026-01-01T00:00:05Z"),
            Self.service("holder", created: "2026-01-02T00:00:00Z", holds: ["10.5.0.11"]),
            Self.service("asks", created: "2026-01-01T00:00:01Z", requested: "10.5.0.12"),
            Self.service("outside", created: "2026-01-01T00:00:02Z", requested: "10.9.0.1"),
            Self.service("last", created: "2026-01-01T00:00:09Z"),
            Self.service("other-class", cls: "example.com/lb"),
            Self.service("plain", type: "ClusterIP"),
        ], pool: pool, nodeAddresses: ["192.168.1.1"])
        #expect(plan.outcomes[Self.key("holder")] == .assigned(["10.5.0.11"]))
        #expect(plan.outcomes[Self.key("asks")] == .assigned(["10.5.0.12"]))
        #expect(plan.outcomes[Self.key("new")] == .assigned(["10.5.0.10"]))
        #expect(plan.outcomes[Self.key("outside")] == .pending("requested address 10.9.0.1 is not in the load balancer address pool"))
        #expect(plan.outcomes[Self.key("last")] == .pending("no address is free in the load balancer address pool"))
        #expect(plan.outcomes[Self.key("other-class")] == nil)
        #expect(plan.outcomes[Self.key("plain")] == nil)
    }

    @Test func ourClassIsServedAndATypeChangeReleasesTheAddress() throws {
        let pool = try LoadBalancerAddressPool(["10.5.0.10/32"])
        let plan = LoadBalancerPlan(services: [
            Self.service("ours", cls: LoadBalancerPlan.loadBalancerClass),
            Self.service("was", type: "ClusterIP", holds: ["10.5.0.10"]),
        ], pool: pool, nodeAddresses: [])
        #expect(plan.outcomes[Self.key("ours")] == .assigned(["10.5.0.10"]))
        #expect(plan.outcomes[Self.key("was")] == .released)
        #expect(LoadBalancerPlan.status(for: .released) == [:])
        #expect(LoadBalancerPlan.status(for: .assigned(["10.5.0.10"])) == ["ingress": [["ip": "10.5.0.10", "ipMode": "VIP"]]])
    }

    @Test func withoutAPoolServicesShareReadyNodeAddressesOnePerPort() {
        let addresses = LoadBalancerPlan.nodeAddresses([
            Self.node("b", ip: "192.168.1.20"), Self.node("a", ip: "192.168.1.3"),
            Self.node("down", ip: "192.168.1.4", ready: false), Self.node("out", ip: "192.168.1.5", excluded: true),
        ])
        #expect(addresses == ["192.168.1.3", "192.168.1.20"])
        let plan = LoadBalancerPlan(services: [
            Self.service("web", created: "2026-01-01T00:00:01Z", ports: [80, 443]),
            Self.service("late", created: "2026-01-01T00:00:02Z", ports: [8080, 443]),
            Self.service("dns", created: "2026-01-01T00:00:03Z", ports: [53]),
        ], pool: try! LoadBalancerAddressPool([]), nodeAddresses: addresses)
        #expect(plan.outcomes[Self.key("web")] == .assigned(addresses))
        #expect(plan.outcomes[Self.key("late")] == .pending("port 443/TCP is already served on the node addresses by default/web"))
        #expect(plan.outcomes[Self.key("dns")] == .assigned(addresses))
        let none = LoadBalancerPlan(services: [Self.service("web")], pool: try! LoadBalancerAddressPool([]), nodeAddresses: [])
        #expect(none.outcomes[Self.key("web")] == .pending("no Ready node has an address to serve the load balancer on"))
    }

    @Test func controllerWritesStatusOnceAndWarnsOnceWhilePending() async throws {
        let client = FakeClient()
        try client.seed(.services, Self.service("a", created: "2026-01-01T00:00:01Z"),
                        Self.service("b", created: "2026-01-01T00:00:02Z"))
        let controller = ServiceLoadBalancerController(
            client: client, services: LiveServices(client: client), nodes: StaticCache(objects: []),
            pool: try LoadBalancerAddressPool(["10.5.0.10"]),
            recorder: EventRecorder(client: client, component: ServiceLoadBalancerController.component, logger: Logger(label: "t")),
            queue: nil, logger: Logger(label: "t"))
        try await controller.reconcile(ServiceLoadBalancerController.everything)
        #expect(client.object(.services, namespace: "default", name: "a")?[path: ["status", "loadBalancer"]]
                == ["ingress": [["ip": "10.5.0.10", "ipMode": "VIP"]]])
        #expect(client.object(.services, namespace: "default", name: "b")?[path: ["status", "loadBalancer", "ingress"]] == nil)
        let writes = client.writes.count
        try await controller.reconcile(ServiceLoadBalancerController.everything)
        #expect(client.writes.count == writes, "an unchanged plan writes nothing")
        await controller.recorder.flush()
        let events = client.objects(.events).compactMap { $0["reason"]?.stringValue }.sorted()
        #expect(events == ["EnsuredLoadBalancer", "EnsuringLoadBalancer", "SyncLoadBalancerFailed"])
        // a goes away: b gets the address.
        _ = try await client.delete(.services, namespace: "default", name: "a")
        try await controller.reconcile(ServiceLoadBalancerController.everything)
        #expect(client.object(.services, namespace: "default", name: "b")?[path: ["status", "loadBalancer", "ingress"]]?
                .arrayValue?.first?["ip"] == "10.5.0.10")
    }
}

/// The fake's Services as they are at each read.
struct LiveServices: ObjectCache {
    let client: FakeClient

    func get(namespace: String?, name: String) async -> JSONValue? { client.object(.services, namespace: namespace, name: name) }
    func list(namespace: String?) async -> [JSONValue] {
        client.objects(.services).filter { namespace == nil || $0.namespace == namespace }
    }
}
