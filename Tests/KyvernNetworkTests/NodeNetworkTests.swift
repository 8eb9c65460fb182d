import KyvernAPI
import Testing
@testable import KyvernNetwork

@Suite("Node network: ranges, routes to other nodes, the DNS endpoint")
struct NodeNetworkTests {
    @Test func networksParseAndGiveTheirGateway() throws {
        let network = try #require(IPv4Network("10.42.3.77/24"))
        #expect(network.description == "10.42.3.0/24")
        #expect(network.gateway == "10.42.3.1")
        #expect(network.contains("10.42.3.200") && !network.contains("10.42.4.1"))
        for bad in ["10.42.0.0", "10.42.0.0/33", "10.42.0/24", "10.42.0.256/24", "x/8", "10.42.0.0/-1"] {
            #expect(IPv4Network(bad) == nil, "\(bad)")
        }
    }

    static func node(_ name: String, cidr: String?, ip: String?) -> JSONValue {
        var node: JSONValue = ["metadata": ["name": .string(name)], "spec": [:], "status": ["addresses": []]]
        if let cidr { node[path: ["spec", "podCIDR"]] = .string(cidr) }
        if let ip {
            node[path: ["status", "addresses"]] = [["type": "Hostname", "address": .string(name)],
                                                   ["type": "InternalIP", "address": .string(ip)]]
        }
        return node
    }

    @Test func routesGoToEveryOtherNodeWithARangeAndAnAddress() {
        let nodes = [
            Self.node("a", cidr: "10.42.0.0/24", ip: "172.30.0.2"),
            Self.node("b", cidr: "10.42.1.0/24", ip: "172.30.0.3"),
            Self.node("c", cidr: nil, ip: "172.30.0.4"),
            Self.node("d", cidr: "10.42.3.0/24", ip: nil),
        ]
        let routes = NodeRoutes(nodes: nodes, ownName: "a")
        #expect(routes.routes == ["10.42.1.0/24": "172.30.0.3"])
    }

    @Test func commandsAddChangeAndRemoveOnlyWhatDiffers() {
        let installed = NodeRoutes.parse("""
            10.42.1.0/24 via 172.30.0.3 dev veth0 proto 199
            10.42.2.0/24 via 172.30.0.9 dev veth0 proto 199
            10.42.5.0/24 via 172.30.0.5 dev veth0 proto 199
            """)
        let desired = NodeRoutes(routes: ["10.42.1.0/24": "172.30.0.3", "10.42.2.0/24": "172.30.0.4", "10.42.6.0/24": "172.30.0.6"])
        #expect(desired.commands(from: installed) == [
            ["-4", "route", "del", "10.42.5.0/24", "proto", "199"],
            ["-4", "route", "replace", "10.42.2.0/24", "via", "172.30.0.4", "proto", "199"],
            ["-4", "route", "replace", "10.42.6.0/24", "via", "172.30.0.6", "proto", "199"],
        ])
        #expect(desired.commands(from: desired).isEmpty)
    }

    @Test func aWaitingSandboxGetsTheRangeOnceItIsKnown() async throws {
        let source = PodCIDRSource()
        #expect(source.current == nil)
        async let waited = source.value()
        try await Task.sleep(for: .milliseconds(20))
        source.set("10.42.7.0/24")
        source.set("10.42.9.0/24")  // a Node's range never changes: the first one stays
        #expect(try await waited == "10.42.7.0/24")
        #expect(try await source.value() == "10.42.7.0/24")
    }

    @Test func waitingForTheRangeEndsWhenCancelled() async throws {
        let source = PodCIDRSource()
        let waiting = Task { try await source.value() }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test func theDNSServiceHasNoSelectorAndEachNodeItsOwnEndpoint() {
        let objects = ClusterDNSObjects(clusterIP: "10.43.0.10", nodeName: "node-1", address: "10.42.0.1")
        #expect(objects.service[path: ["spec", "selector"]] == nil)
        #expect(objects.service[path: ["spec", "clusterIP"]] == "10.43.0.10")
        #expect(objects.service[path: ["spec", "internalTrafficPolicy"]] == "Local")
        #expect(objects.service[path: ["spec", "ports"]]?.arrayValue?.compactMap { $0["protocol"]?.stringValue } == ["UDP", "TCP"])
        #expect(objects.sliceName == "kube-dns-node-1")
        #expect(objects.endpointSlice[path: ["metadata", "labels", "kubernetes.io/service-name"]] == "kube-dns")
        let endpoint = objects.endpointSlice["endpoints"]?.arrayValue?.first
        #expect(endpoint?["addresses"] == ["10.42.0.1"])
        #expect(endpoint?["nodeName"] == "node-1")
        #expect(endpoint?[path: ["conditions", "ready"]] == true)
    }
}
