import Testing

@testable import KyvernNetwork

@Suite("Proxy nftables rules")
struct ProxyNftablesTests {
    typealias F = ProxyFixtures

    static func build(_ entries: [RuleBuilder.Entry], node: RuleBuilder.Node = F.node) -> NftRuleSet {
        NftRuleBuilder(node: node).build(entries)
    }

    @Test func clusterIPPicksAnEndpointInOneDnatRuleThroughTheServiceMap() {
        let port = F.port()
        let set = Self.build([.init(port: port, endpoints: F.endpoints(3))])
        let svc = NftRuleBuilder.chainName("service", port)
        #expect(svc.hasPrefix("service-") && svc.hasSuffix("-default/web/tcp/http"))
        #expect(set.elements[NftRuleBuilder.serviceIPs] == ["10.43.0.20 . tcp . 80": "goto \(svc)"])
        #expect(set.chains == [RuleSet.Chain(name: svc, rules: [
            "ip daddr 10.43.0.20 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade",
            "meta l4proto tcp dnat ip to numgen random mod 3 map { 0 : 10.42.0.11 . 8080, 1 : 10.42.0.12 . 8080, 2 : 10.42.0.13 . 8080 }",
        ])])
        #expect(set.elements[NftRuleBuilder.hairpin] == [
            "10.42.0.11 . 10.42.0.11": "", "10.42.0.12 . 10.42.0.12": "", "10.42.0.13 . 10.42.0.13": "",
        ])
        #expect(set.elements[NftRuleBuilder.noEndpointServices] == [:])
        // Node ports on the node's address and 127.0.0.1, after the cluster IPs.
        #expect(set.skeleton.contains("set nodeport-ips { type ipv4_addr; elements = { 192.168.5.10, 127.0.0.1 }; }"))
        #expect(set.skeleton.contains("chain services { ip daddr . meta l4proto . th dport vmap @service-ips; "
            + "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports; }"))
        #expect(set.ruleCount == 2 + 1 + 3)
    }

    @Test func oneEndpointDnatsWithoutAMap() {
        let port = F.port(proto: .udp, port: 53)
        let set = Self.build([.init(port: port, endpoints: F.endpoints(1, port: 5353))])
        #expect(set.chains.first?.rules.last == "meta l4proto udp dnat ip to 10.42.0.11:5353")
    }

    @Test func noEndpointsRejectsAndServingTerminatingOnesAreUsedWhenNoneIsReady() {
        let tcp = F.port(nodePort: 30080)
        let udp = F.port("dns", proto: .udp, ip: "10.43.0.10", port: 53)
        let notReady = [ProxyEndpoint(ip: "10.42.0.11", port: 8080, ready: false, nodeName: "node-a")]
        let set = Self.build([.init(port: tcp, endpoints: notReady), .init(port: udp, endpoints: [])])
        #expect(set.elements[NftRuleBuilder.noEndpointServices] == [
            "10.43.0.20 . tcp . 80": "goto reject-chain", "10.43.0.10 . udp . 53": "goto reject-chain",
        ])
        #expect(set.elements[NftRuleBuilder.noEndpointNodePorts] == ["tcp . 30080": "goto reject-chain"])
        #expect(set.chains.isEmpty && set.elements[NftRuleBuilder.serviceIPs] == [:])
        #expect(set.skeleton.contains("chain reject-chain { meta l4proto tcp reject with tcp reset; reject; }"))

        let terminating = [ProxyEndpoint(ip: "10.42.0.11", port: 8080, ready: false, serving: true, terminating: true)]
        let fallback = Self.build([.init(port: F.port(), endpoints: terminating)])
        #expect(fallback.chains.first?.rules.last == "meta l4proto tcp dnat ip to 10.42.0.11:8080")
    }

    @Test func clientIPAffinityUsesPerEndpointSetsWithTheTimeout() {
        let port = F.port(affinity: 600)
        let endpoints = F.endpoints(2)
        let set = Self.build([.init(port: port, endpoints: endpoints)])
        let (a, b) = (NftRuleBuilder.endpointChain(port, endpoints[0]), NftRuleBuilder.endpointChain(port, endpoints[1]))
        let (setA, setB) = (NftRuleBuilder.affinitySet(port, endpoints[0], timeout: 600),
                            NftRuleBuilder.affinitySet(port, endpoints[1], timeout: 600))
        #expect(set.affinitySets == [setA: 600, setB: 600])
        let svc = NftRuleBuilder.chainName("service", port)
        #expect(set.chainsByName[svc] == [
            "ip daddr 10.43.0.20 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade",
            "ip saddr @\(setA) goto \(a)", "ip saddr @\(setB) goto \(b)",
            "numgen random mod 2 vmap { 0 : goto \(a), 1 : goto \(b) }",
        ])
        #expect(set.chainsByName[a] == ["update @\(setA) { ip saddr }", "meta l4proto tcp dnat ip to 10.42.0.11:8080"])
        // Endpoint chains are declared before the service chain that jumps to them.
        let names = set.chains.map(\.name)
        #expect(names.count == 3 && names.last == svc && Set(names.prefix(2)) == [a, b])
        let text = NftPlan(desired: set, applied: nil).text
        #expect(text.contains("\tset \(setA) { type ipv4_addr; flags dynamic,timeout; timeout 600s; }\n"))
    }

    @Test func loadBalancerAddressesAreServiceMapEntriesToTheExternalChain() {
        var port = F.port()
        port.externalAddresses = ["192.0.2.10"]
        let set = Self.build([.init(port: port, endpoints: F.endpoints(2))])
        let ext = NftRuleBuilder.chainName("external", port)
        #expect(set.elements[NftRuleBuilder.serviceIPs]?["192.0.2.10 . tcp . 80"] == "goto \(ext)")
        #expect(set.chainsByName[ext] == ["jump mark-for-masquerade", "goto \(NftRuleBuilder.chainName("service", port))"])
        let none = Self.build([.init(port: port, endpoints: [])])
        #expect(none.elements[NftRuleBuilder.noEndpointServices]?["192.0.2.10 . tcp . 80"] == "goto reject-chain")
        #expect(none.chainsByName[ext] == nil)
    }

    @Test func externalPolicyLocalKeepsOutsideTrafficOnLocalEndpointsAndDropsWithoutThem() {
        let port = F.port(nodePort: 30080, externalLocal: true)
        let endpoints = [ProxyEndpoint(ip: "10.42.0.11", port: 8080, nodeName: "node-a"),
                         ProxyEndpoint(ip: "10.42.1.11", port: 8080, nodeName: "node-b")]
        let set = Self.build([.init(port: port, endpoints: endpoints)])
        let (svc, local, ext) = (NftRuleBuilder.chainName("service", port), NftRuleBuilder.chainName("local", port),
                                 NftRuleBuilder.chainName("external", port))
        #expect(set.elements[NftRuleBuilder.serviceNodePorts] == ["tcp . 30080": "goto \(ext)"])
        #expect(set.chainsByName[ext] == [
            "ip saddr 10.42.0.0/16 goto \(svc)", "fib saddr type local jump mark-for-masquerade",
            "fib saddr type local goto \(svc)", "goto \(local)",
        ])
        #expect(set.chainsByName[local] == ["meta l4proto tcp dnat ip to 10.42.0.11:8080"])

        let remoteOnly = Self.build([.init(port: port, endpoints: [endpoints[1]])])
        #expect(remoteOnly.elements[NftRuleBuilder.noEndpointNodePorts] == ["tcp . 30080": "drop"])
        #expect(remoteOnly.chainsByName[ext] == [
            "ip saddr 10.42.0.0/16 goto \(svc)", "fib saddr type local jump mark-for-masquerade", "fib saddr type local goto \(svc)",
        ])

        let internalLocal = Self.build([.init(port: F.port(internalLocal: true), endpoints: [endpoints[1]])])
        #expect(internalLocal.elements[NftRuleBuilder.noEndpointServices] == ["10.43.0.20 . tcp . 80": "drop"])
    }

    @Test func fullPlanReplacesTheTableInOneFile() {
        let set = Self.build([.init(port: F.port(), endpoints: F.endpoints(2))])
        let text = NftPlan(desired: set, applied: nil).text
        #expect(text.hasPrefix("add table ip kyvern\ndelete table ip kyvern\ntable ip kyvern {\n"))
        #expect(text.contains("add element ip kyvern service-ips { 10.43.0.20 . tcp . 80 : goto \(set.chains[0].name) }\n"))
        #expect(text.contains("add element ip kyvern hairpin { 10.42.0.11 . 10.42.0.11, 10.42.0.12 . 10.42.0.12 }\n"))
        #expect(NftPlan.removal == "add table ip kyvern\ndelete table ip kyvern\n")
    }

    @Test func partialPlanRewritesOnlyWhatChanged() {
        let web = F.port()
        let api = F.port("api", ip: "10.43.0.21")
        let before = Self.build([.init(port: web, endpoints: F.endpoints(3)), .init(port: api, endpoints: F.endpoints(2))])
        #expect(NftPlan(desired: before, applied: before).text == "")

        // One endpoint of web leaves: its chain is flushed and refilled, one hairpin pair goes.
        let fewer = Self.build([.init(port: web, endpoints: Array(F.endpoints(3).prefix(2))),
                                .init(port: api, endpoints: F.endpoints(2))])
        let webChain = NftRuleBuilder.chainName("service", web)
        let plan = NftPlan(desired: fewer, applied: before)
        #expect(plan.written == 1 && plan.deleted == 0)
        #expect(plan.text == """
            delete element ip kyvern hairpin { 10.42.0.13 . 10.42.0.13 }
            flush chain ip kyvern \(webChain)
            add rule ip kyvern \(webChain) ip daddr 10.43.0.20 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade
            add rule ip kyvern \(webChain) meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.42.0.11 . 8080, 1 : 10.42.0.12 . 8080 }

            """)

        // api loses every endpoint: its map element moves to the reject map, its chain is deleted.
        let apiChain = NftRuleBuilder.chainName("service", api)
        let rejected = Self.build([.init(port: web, endpoints: F.endpoints(3)), .init(port: api, endpoints: [])])
        let gone = NftPlan(desired: rejected, applied: before)
        #expect(gone.deleted == 1 && gone.written == 0)
        #expect(gone.text == """
            delete element ip kyvern service-ips { 10.43.0.21 . tcp . 80 }
            flush chain ip kyvern \(apiChain)
            delete chain ip kyvern \(apiChain)
            add element ip kyvern no-endpoint-services { 10.43.0.21 . tcp . 80 : goto reject-chain }

            """)

        // Affinity appears: its sets and endpoint chains are created before the rules using them.
        let sticky = Self.build([.init(port: F.port(affinity: 60), endpoints: F.endpoints(3)),
                                 .init(port: api, endpoints: F.endpoints(2))])
        let added = NftPlan(desired: sticky, applied: before).text.split(separator: "\n").map(String.init)
        let firstSet = added.firstIndex { $0.hasPrefix("add set ip kyvern affinity-") }
        let firstChain = added.firstIndex { $0.hasPrefix("add chain ip kyvern endpoint-") }
        let firstRule = added.firstIndex { $0.hasPrefix("add rule ") }
        #expect(firstSet != nil && firstChain != nil && firstRule != nil)
        #expect(firstSet! < firstChain! && firstChain! < firstRule!)
    }

    @Test func withoutNodeAddressesNodePortsMatchEveryLocalAddressAndSctpUsesItsOwnMatch() {
        let node = RuleBuilder.Node(name: "node-a", addresses: [], clusterCIDR: "10.42.0.0/16")
        let port = F.port(proto: .sctp, port: 9000, nodePort: 30900)
        let set = Self.build([.init(port: port, endpoints: F.endpoints(1))], node: node)
        #expect(!set.skeleton.contains { $0.hasPrefix("set nodeport-ips") })
        #expect(set.skeleton.contains("chain services { ip daddr . meta l4proto . th dport vmap @service-ips; "
            + "fib daddr type local meta l4proto . th dport vmap @service-nodeports; }"))
        #expect(set.elements[NftRuleBuilder.serviceNodePorts] == ["sctp . 30900": "goto \(NftRuleBuilder.chainName("external", port))"])
        #expect(set.chainsByName[NftRuleBuilder.chainName("service", port)] == [
            "ip daddr 10.43.0.20 sctp dport 9000 ip saddr != 10.42.0.0/16 jump mark-for-masquerade",
            "meta l4proto sctp dnat ip to 10.42.0.11:8080",
        ])
    }
}
