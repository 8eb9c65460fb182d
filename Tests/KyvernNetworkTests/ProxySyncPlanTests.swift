import Foundation
import Testing

@testable import KyvernNetwork

@Suite("Proxy restore plans and conntrack cleanup")
struct ProxySyncPlanTests {
    typealias F = ProxyFixtures

    @Test func fullPlanWritesEveryChainAndDeletesStrayKyvernChains() {
        let port = F.port()
        let rules = F.build([.init(port: port, endpoints: F.endpoints(1))])
        let plan = RestorePlan(desired: rules, applied: nil,
                               existing: ["nat": ["KYVERN-SEP-OLDOLDOLDOLDOLDO", ChainNames.services, "CNI-HOSTPORT-DNAT"]])
        let sep = F.sep(port, "10.42.0.11")
        let svc = ChainNames.service(port)
        #expect(plan.written["nat"] == [ChainNames.services, ChainNames.nodePorts, ChainNames.markMasquerade,
                                        ChainNames.postrouting, svc, sep].sorted())
        #expect(plan.deleted == ["nat": ["KYVERN-SEP-OLDOLDOLDOLDOLDO"]])
        let nat = plan.text.components(separatedBy: "COMMIT\n")[0].split(separator: "\n").map(String.init)
        #expect(nat.first == "*nat")
        #expect(nat.contains(":\(sep) - [0:0]"))
        #expect(nat.contains(":KYVERN-SEP-OLDOLDOLDOLDOLDO - [0:0]"))
        #expect(nat.last == "-X KYVERN-SEP-OLDOLDOLDOLDOLDO")
        #expect(nat.contains("-A \(sep) -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.42.0.11:8080"))
        #expect(plan.text.contains("*filter\n:KYVERN-EXTERNAL-SERVICES - [0:0]\n:KYVERN-FIREWALL - [0:0]\n"))
        #expect(!plan.text.contains("CNI-HOSTPORT-DNAT"))
    }

    @Test func partialPlanRewritesOnlyChangedChainsAndDeletesStaleEndpoints() {
        let port = F.port()
        let before = F.build([.init(port: port, endpoints: F.endpoints(3))])
        var applied: [String: [String: [String]]] = [:]
        for table in before.tables { applied[table.name] = table.byName }
        let after = F.build([.init(port: port, endpoints: Array(F.endpoints(3).dropFirst()))])
        let plan = RestorePlan(desired: after, applied: applied)
        #expect(plan.written == ["nat": [ChainNames.service(port)]])
        #expect(plan.deleted == ["nat": [F.sep(port, "10.42.0.11")]])
        #expect(plan.text == """
            *nat
            :\(ChainNames.service(port)) - [0:0]
            :\(F.sep(port, "10.42.0.11")) - [0:0]
            \(after.nat[ChainNames.service(port)]!.rules.map { "-A \(ChainNames.service(port)) \($0)" }.joined(separator: "\n"))
            -X \(F.sep(port, "10.42.0.11"))
            COMMIT

            """)
        let unchanged = RestorePlan(desired: before, applied: applied)
        #expect(unchanged.text.isEmpty)
    }

    @Test func removingAServiceDeletesItsChainsAndTurnsToNothingElse() {
        let port = F.port()
        let before = F.build([.init(port: port, endpoints: F.endpoints(1))])
        var applied: [String: [String: [String]]] = [:]
        for table in before.tables { applied[table.name] = table.byName }
        let plan = RestorePlan(desired: F.build([]), applied: applied)
        #expect(plan.written == ["nat": [ChainNames.services]])
        #expect(plan.text.hasPrefix("*nat\n:KYVERN-SERVICES - [0:0]\n"))
        #expect(plan.deleted == ["nat": [ChainNames.service(port), F.sep(port, "10.42.0.11")].sorted()])
    }

    @Test func missingJumpsAreInsertedInOrderAndPresentOnesLeftAlone() {
        let save = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            -A INPUT -j KYVERN-FIREWALL
            -A FORWARD -m comment --comment "kyvern forwarding rules" -j KYVERN-FORWARD
            -A FORWARD -j CNI-FORWARD
            COMMIT
            """
        #expect(BuiltinJump.insertions(table: "filter", save: save) == [
            "-I OUTPUT 1 -j KYVERN-FIREWALL",
            "-I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment \"kyvern service portals\" -j KYVERN-SERVICES",
            "-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment \"kyvern externally-visible service portals\" -j KYVERN-EXTERNAL-SERVICES",
            "-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment \"kyvern service portals\" -j KYVERN-SERVICES",
            "-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment \"kyvern externally-visible service portals\" -j KYVERN-EXTERNAL-SERVICES",
        ])
        #expect(BuiltinJump.deletions(save: save + "\n-A KYVERN-SERVICES -j KYVERN-SVC-X") == [
            "-D INPUT -j KYVERN-FIREWALL",
            "-D FORWARD -m comment --comment \"kyvern forwarding rules\" -j KYVERN-FORWARD",
        ])
        let plan = RestorePlan(desired: F.build([]), applied: nil, extra: ["nat": ["-I OUTPUT 1 -j KYVERN-SERVICES"]])
        let nat = plan.text.components(separatedBy: "COMMIT\n")[0]
        #expect(nat.hasSuffix("-I OUTPUT 1 -j KYVERN-SERVICES\n"))
    }

    @Test func removalPlanEmptiesThenDeletesEveryChain() {
        #expect(RestorePlan.removal(of: ["nat": ["KYVERN-B", "KYVERN-A"], "filter": []],
                                    jumps: ["nat": ["-D OUTPUT -j KYVERN-A"]]) == """
            *nat
            :KYVERN-A - [0:0]
            :KYVERN-B - [0:0]
            -D OUTPUT -j KYVERN-A
            -X KYVERN-A
            -X KYVERN-B
            COMMIT

            """)
        #expect(RestorePlan.kyvernChains(inSave: "*nat\n:PREROUTING ACCEPT [0:0]\n:KYVERN-SERVICES - [0:0]\n:CNI-X - [0:0]\n-A PREROUTING -j KYVERN-SERVICES\n")
            == ["KYVERN-SERVICES"])
    }

    @Test func conntrackEntriesOfRemovedUDPEndpointsAndRevivedServicesAreDeleted() {
        let dns = F.port(portName: "dns", proto: .udp, ip: "10.43.0.10", port: 53, nodePort: 30053)
        let web = F.port()
        let old: [RuleBuilder.Entry] = [.init(port: dns, endpoints: F.endpoints(2, port: 53)), .init(port: web, endpoints: F.endpoints(2))]
        let new: [RuleBuilder.Entry] = [.init(port: dns, endpoints: Array(F.endpoints(2, port: 53).dropFirst())), .init(port: web, endpoints: [])]
        #expect(ConntrackCleanup.commands(old: old, new: new, nodeName: "node-a") == [
            ["-D", "-p", "udp", "--orig-dst", "10.43.0.10", "--dst-nat", "10.42.0.11"],
            ["-D", "-p", "udp", "--orig-port-dst", "30053", "--dst-nat", "10.42.0.11"],
        ])
        let empty: [RuleBuilder.Entry] = [.init(port: dns, endpoints: [])]
        #expect(ConntrackCleanup.commands(old: empty, new: new, nodeName: "node-a") == [
            ["-D", "-p", "udp", "--orig-dst", "10.43.0.10", "--orig-port-dst", "53"],
            ["-D", "-p", "udp", "--orig-port-dst", "30053"],
        ])
        #expect(ConntrackCleanup.commands(old: new, new: new, nodeName: "node-a").isEmpty)
    }
}
