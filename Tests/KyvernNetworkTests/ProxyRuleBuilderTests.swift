import Foundation
import Testing

@testable import KyvernNetwork

@Suite("Proxy rule builder")
struct ProxyRuleBuilderTests {
    typealias F = ProxyFixtures

    @Test func clusterIPSpreadsOverReadyEndpointsWithUpstreamProbabilities() {
        let port = F.port()
        let rules = F.build([.init(port: port, endpoints: F.endpoints(3))])
        let svc = ChainNames.service(port)
        let (a, b, c) = (F.sep(port, "10.42.0.11"), F.sep(port, "10.42.0.12"), F.sep(port, "10.42.0.13"))
        #expect(rules.nat[ChainNames.services]?.rules == [
            "-d 10.43.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j \(svc)",
            "-d 192.168.5.10/32 -m comment --comment \"kyvern service nodeports; NOTE: this must be the last rules in this chain\" -j KYVERN-NODEPORTS",
            "-d 127.0.0.1/32 -m comment --comment \"kyvern service nodeports; NOTE: this must be the last rules in this chain\" -j KYVERN-NODEPORTS",
        ])
        #expect(rules.nat[svc]?.rules == [
            "! -s 10.42.0.0/16 -d 10.43.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KYVERN-MARK-MASQ",
            "-m comment --comment \"default/web:http -> 10.42.0.11:8080\" -m statistic --mode random --probability 0.3333333333 -j \(a)",
            "-m comment --comment \"default/web:http -> 10.42.0.12:8080\" -m statistic --mode random --probability 0.5000000000 -j \(b)",
            "-m comment --comment \"default/web:http -> 10.42.0.13:8080\" -j \(c)",
        ])
        #expect(rules.nat[a]?.rules == [
            "-s 10.42.0.11/32 -m comment --comment \"default/web:http\" -j KYVERN-MARK-MASQ",
            "-p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.42.0.11:8080",
        ])
        #expect(rules.filter[ChainNames.services]?.rules == [])
        #expect(rules.nat[ChainNames.markMasquerade]?.rules == ["-j MARK --or-mark 0x4000"])
        #expect(rules.nat[ChainNames.postrouting]?.rules == [
            "-m mark ! --mark 0x4000/0x4000 -j RETURN", "-j MARK --xor-mark 0x4000",
            "-m comment --comment \"kyvern service traffic requiring SNAT\" -j MASQUERADE --random-fully",
        ])
        #expect(rules.nat.chains.map(\.name).filter { $0.hasPrefix("KYVERN-SEP-") }.count == 3)
    }

    @Test func probabilitiesHaveTenDecimals() {
        #expect(RuleBuilder.probability(2) == "0.5000000000")
        #expect(RuleBuilder.probability(3) == "0.3333333333")
        #expect(RuleBuilder.probability(7) == "0.1428571429")
        #expect(RuleBuilder.probability(10) == "0.1000000000")
    }

    @Test func noEndpointsRejectsInFilterAndAddsNoNatRule() {
        let port = F.port(nodePort: 30080)
        let notReady = [ProxyEndpoint(ip: "10.42.0.11", port: 8080, ready: false, nodeName: "node-a")]
        let rules = F.build([.init(port: port, endpoints: notReady)])
        #expect(rules.filter[ChainNames.services]?.rules == [
            "-d 10.43.0.20/32 -p tcp -m comment --comment \"default/web:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with tcp-reset",
        ])
        #expect(rules.filter[ChainNames.externalServices]?.rules == [
            "-m addrtype --dst-type LOCAL -p tcp -m comment --comment \"default/web:http has no endpoints\" -m tcp --dport 30080 -j REJECT --reject-with tcp-reset",
        ])
        #expect(rules.nat[ChainNames.services]?.rules.count == 2)
        #expect(rules.nat[ChainNames.nodePorts]?.rules == [])
        #expect(!rules.nat.chains.contains { $0.name.hasPrefix("KYVERN-SVC-") || $0.name.hasPrefix("KYVERN-SEP-") })
    }

    @Test func udpWithoutEndpointsIsRejectedWithICMP() {
        let port = F.port(portName: "dns", proto: .udp, ip: "10.43.0.10", port: 53)
        #expect(F.build([.init(port: port, endpoints: [])]).filter[ChainNames.services]?.rules == [
            "-d 10.43.0.10/32 -p udp -m comment --comment \"default/web:dns has no endpoints\" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable",
        ])
    }

    @Test func servingTerminatingEndpointsOnlyWhenNoneIsReady() {
        let port = F.port()
        let terminating = ProxyEndpoint(ip: "10.42.0.11", port: 8080, ready: false, serving: true, terminating: true)
        let ready = ProxyEndpoint(ip: "10.42.0.12", port: 8080)
        let gone = ProxyEndpoint(ip: "10.42.0.13", port: 8080, ready: false, serving: false, terminating: true)
        let both = F.build([.init(port: port, endpoints: [terminating, ready, gone])])
        #expect(both.nat[ChainNames.service(port)]?.rules.dropFirst().map { $0.components(separatedBy: " -j ").last } == [
            F.sep(port, "10.42.0.12"),
        ])
        let fallback = F.build([.init(port: port, endpoints: [terminating, gone])])
        #expect(fallback.nat[ChainNames.service(port)]?.rules.dropFirst().map { $0.components(separatedBy: " -j ").last } == [
            F.sep(port, "10.42.0.11"),
        ])
    }

    @Test func clientIPAffinityChecksRecentBeforeSpreadingAndSetsItOnDNAT() {
        let port = F.port(affinity: 600)
        let rules = F.build([.init(port: port, endpoints: F.endpoints(2))])
        let (a, b) = (F.sep(port, "10.42.0.11"), F.sep(port, "10.42.0.12"))
        #expect(rules.nat[ChainNames.service(port)]?.rules == [
            "! -s 10.42.0.0/16 -d 10.43.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KYVERN-MARK-MASQ",
            "-m comment --comment \"default/web:http -> 10.42.0.11:8080\" -m recent --name \(a) --rcheck --seconds 600 --reap -j \(a)",
            "-m comment --comment \"default/web:http -> 10.42.0.12:8080\" -m recent --name \(b) --rcheck --seconds 600 --reap -j \(b)",
            "-m comment --comment \"default/web:http -> 10.42.0.11:8080\" -m statistic --mode random --probability 0.5000000000 -j \(a)",
            "-m comment --comment \"default/web:http -> 10.42.0.12:8080\" -j \(b)",
        ])
        #expect(rules.nat[b]?.rules.last == "-p tcp -m comment --comment \"default/web:http\" -m recent --name \(b) --set -m tcp -j DNAT --to-destination 10.42.0.12:8080")
    }

    @Test func nodePortWithClusterPolicyMasqueradesAndUsesEveryEndpoint() {
        let port = F.port(nodePort: 30080)
        let rules = F.build([.init(port: port, endpoints: F.endpoints(2))])
        let ext = ChainNames.external(port)
        #expect(rules.nat[ChainNames.nodePorts]?.rules == [
            "-p tcp -m comment --comment \"default/web:http\" -m tcp --dport 30080 -j \(ext)",
        ])
        #expect(rules.nat[ext]?.rules == [
            "-m comment --comment \"masquerade traffic for default/web:http external destinations\" -j KYVERN-MARK-MASQ",
            "-j \(ChainNames.service(port))",
        ])
        #expect(rules.filter[ChainNames.externalServices]?.rules == [])
    }

    @Test func loadBalancerAddressesGoThroughTheExternalChainAndAreRefusedWithoutEndpoints() {
        var port = F.port()
        port.externalAddresses = ["192.0.2.10"]
        let rules = F.build([.init(port: port, endpoints: F.endpoints(2))])
        let ext = ChainNames.external(port)
        #expect(rules.nat[ChainNames.services]?.rules.contains(
            "-d 192.0.2.10/32 -p tcp -m comment --comment \"default/web:http external IP\" -m tcp --dport 80 -j \(ext)") == true)
        #expect(rules.nat[ext]?.rules.last == "-j \(ChainNames.service(port))")
        let none = F.build([.init(port: port, endpoints: [])])
        #expect(none.nat[ext] == nil)
        #expect(none.filter[ChainNames.externalServices]?.rules == [
            "-d 192.0.2.10/32 -p tcp -m comment --comment \"default/web:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with tcp-reset",
        ])
    }

    @Test func externalTrafficPolicyLocalUsesOnlyLocalEndpointsForOutsiders() {
        let port = F.port(nodePort: 30080, externalLocal: true)
        let endpoints = [ProxyEndpoint(ip: "10.42.0.11", port: 8080, nodeName: "node-a"),
                         ProxyEndpoint(ip: "10.42.1.11", port: 8080, nodeName: "node-b")]
        let rules = F.build([.init(port: port, endpoints: endpoints)])
        let (svc, svl, ext) = (ChainNames.service(port), ChainNames.localService(port), ChainNames.external(port))
        #expect(rules.nat[ext]?.rules == [
            "-s 10.42.0.0/16 -m comment --comment \"pod traffic for default/web:http external destinations\" -j \(svc)",
            "-m comment --comment \"masquerade LOCAL traffic for default/web:http external destinations\" -m addrtype --src-type LOCAL -j KYVERN-MARK-MASQ",
            "-m comment --comment \"route LOCAL traffic for default/web:http external destinations\" -m addrtype --src-type LOCAL -j \(svc)",
            "-j \(svl)",
        ])
        #expect(rules.nat[svl]?.rules == [
            "-m comment --comment \"default/web:http -> 10.42.0.11:8080\" -j \(F.sep(port, "10.42.0.11"))",
        ])
        #expect(rules.nat[svc]?.rules.count == 3)

        // Only a remote endpoint: outsiders are dropped, pods and the node still get through.
        let remote = F.build([.init(port: port, endpoints: [endpoints[1]])])
        #expect(remote.nat[ext]?.rules.count == 3)
        #expect(remote.nat[svl] == nil)
        #expect(remote.filter[ChainNames.externalServices]?.rules == [
            "-m addrtype --dst-type LOCAL -p tcp -m comment --comment \"default/web:http has no local endpoints\" -m tcp --dport 30080 -j DROP",
        ])
    }

    @Test func internalTrafficPolicyLocalSendsClusterIPToLocalEndpointsOrDrops() {
        let port = F.port(portName: "dns", proto: .udp, ip: "10.43.0.10", port: 53, internalLocal: true)
        let local = ProxyEndpoint(ip: "10.42.0.1", port: 53, nodeName: "node-a")
        let remote = ProxyEndpoint(ip: "10.42.1.1", port: 53, nodeName: "node-b")
        let rules = F.build([.init(port: port, endpoints: [local, remote])])
        let svl = ChainNames.localService(port)
        #expect(rules.nat[ChainNames.services]?.rules.first ==
            "-d 10.43.0.10/32 -p udp -m comment --comment \"default/web:dns cluster IP\" -m udp --dport 53 -j \(svl)")
        #expect(rules.nat[svl]?.rules == [
            "! -s 10.42.0.0/16 -d 10.43.0.10/32 -p udp -m comment --comment \"default/web:dns cluster IP\" -m udp --dport 53 -j KYVERN-MARK-MASQ",
            "-m comment --comment \"default/web:dns -> 10.42.0.1:53\" -j \(F.sep(port, "10.42.0.1", 53))",
        ])
        #expect(rules.nat[F.sep(port, "10.42.0.1", 53)]?.rules.last ==
            "-p udp -m comment --comment \"default/web:dns\" -m udp -j DNAT --to-destination 10.42.0.1:53")
        #expect(!rules.nat.chains.contains { $0.name.hasPrefix("KYVERN-SVC-") })

        let elsewhere = F.build([.init(port: port, endpoints: [remote])])
        #expect(elsewhere.filter[ChainNames.services]?.rules == [
            "-d 10.43.0.10/32 -p udp -m comment --comment \"default/web:dns has no local endpoints\" -m udp --dport 53 -j DROP",
        ])
        #expect(elsewhere.nat[ChainNames.services]?.rules.count == 2)
    }

    @Test func sctpPortsUseTheSctpMatch() {
        let port = F.port(portName: "assoc", proto: .sctp, port: 3868)
        let rules = F.build([.init(port: port, endpoints: F.endpoints(1, port: 3868))])
        #expect(rules.nat[ChainNames.services]?.rules.first ==
            "-d 10.43.0.20/32 -p sctp -m comment --comment \"default/web:assoc cluster IP\" -m sctp --dport 3868 -j \(ChainNames.service(port))")
    }

    @Test func withoutNodeAddressesNodePortsMatchEveryLocalAddress() {
        let node = RuleBuilder.Node(name: "node-a", addresses: [], clusterCIDR: "10.42.0.0/16")
        let rules = F.build([], node: node)
        #expect(rules.nat[ChainNames.services]?.rules == [
            "-m comment --comment \"kyvern service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KYVERN-NODEPORTS",
        ])
        #expect(rules.filter[ChainNames.firewall]?.rules.count == 1)
    }

    @Test func outputDoesNotDependOnInputOrder() {
        let one = RuleBuilder.Entry(port: F.port("a"), endpoints: F.endpoints(3))
        let two = RuleBuilder.Entry(port: F.port("b", ip: "10.43.0.21"), endpoints: F.endpoints(2).reversed())
        #expect(F.build([one, two]) == F.build([two, one]))
    }
}
