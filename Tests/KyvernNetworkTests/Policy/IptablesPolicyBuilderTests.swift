import Testing

@testable import KyvernNetwork

@Suite("NetworkPolicy iptables text")
struct IptablesPolicyBuilderTests {
    static let fixed: [String: [String]] = [
        "KYVERN-NETPOL-ALLOW": ["-j MARK --set-xmark 0x10000/0x10000"],
        "KYVERN-NETPOL-FORWARD": ["-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", "-j KYVERN-NETPOL-EGRESS",
                                  "-m addrtype --src-type LOCAL -j RETURN", "-j KYVERN-NETPOL-INGRESS"],
        "KYVERN-NETPOL-INPUT": ["-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", "-j KYVERN-NETPOL-EGRESS"],
        "KYVERN-NETPOL-PASS": ["-j MARK --set-xmark 0x0/0x10000"],
    ]

    static func byName(_ output: IptablesPolicyBuilder.Output) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: output.chains.map { ($0.name, $0.rules) })
    }

    @Test func anEmptyRuleSetKeepsTheHookChainsWithNothingToDrop() {
        let output = IptablesPolicyBuilder().build(PolicyRuleSet())
        var expected = Self.fixed
        expected["KYVERN-NETPOL-EGRESS"] = []
        expected["KYVERN-NETPOL-INGRESS"] = []
        #expect(Self.byName(output) == expected)
        #expect(output.chains.map(\.name) == output.chains.map(\.name).sorted())
        #expect(output.isolatedPods == 0 && output.rules == 8)
    }

    @Test func chainNamesFitIptablesLimitAndStayOutOfTheProxysWay() {
        let names = [IptablesPolicyBuilder.policyChain(.ingress, policy: String(repeating: "n", count: 63) + "/" + String(repeating: "p", count: 253)),
                     IptablesPolicyBuilder.isolationChain(.egress, policies: ["a/b", "a/c"]), IptablesPolicyBuilder.forward]
        for name in names {
            #expect(name.count <= 28 && name.hasPrefix("KYVERN-NETPOL-"), "\(name)")
            #expect(!ChainNames.isProxyChain(name))
        }
        #expect(ChainNames.isProxyChain(ChainNames.forward))
        #expect(IptablesPolicyBuilder.policyChain(.ingress, policy: "a/b") != IptablesPolicyBuilder.policyChain(.egress, policy: "a/b"))
    }

    @Test func policiesBecomeChainsReachedThroughTheirPodsSetAndLongListsBecomeSharedChains() {
        let many = ["10.42.0.2", "10.42.0.3", "10.42.0.4", "10.42.0.6", "10.42.1.2"]
        var set = PolicyRuleSet()
        set.ingress = [
            .init(policy: "shop/db", direction: .ingress, matches: [
                .init(peer: .addresses(many), ports: [.init(proto: "TCP", ports: 5432...5432)]),
                .init(peer: .any, ports: [.init(proto: "TCP", ports: 6432...6432)], localPods: ["10.42.0.5"]),
            ]),
            .init(policy: "shop/deny", direction: .ingress, matches: []),
        ]
        set.egress = [
            .init(policy: "shop/dns", direction: .egress, matches: [
                .init(peer: .any, ports: [.init(proto: "UDP", ports: 53...53), .init(proto: "SCTP")]),
                .init(peer: .block(cidr: "10.0.0.0/8", except: ["10.42.0.0/16", "10.43.0.0/16"]),
                      ports: [.init(proto: "TCP", ports: 8000...8080)]),
                .init(peer: .addresses(many)),
                .init(peer: .addresses(["10.42.0.7", "10.42.0.8"]), ports: [.init(proto: "TCP", ports: 80...80)]),
                .init(peer: .block(cidr: "192.168.0.0/16", except: [])),
            ]),
        ]
        set.ingressPods = ["10.42.0.3": ["shop/db", "shop/deny"], "10.42.0.5": ["shop/db", "shop/deny"]]
        set.egressPods = ["10.42.0.3": ["shop/dns"]]
        let db = IptablesPolicyBuilder.policyChain(.ingress, policy: "shop/db")
        let deny = IptablesPolicyBuilder.policyChain(.ingress, policy: "shop/deny")
        let dns = IptablesPolicyBuilder.soloChain(.egress, policy: "shop/dns")
        let isolatedIn = IptablesPolicyBuilder.isolationChain(.ingress, policies: ["shop/db", "shop/deny"])
        let output = IptablesPolicyBuilder().build(set)
        let chains = Self.byName(output)
        // The long list: one chain per side, each address going on to ALLOW.
        let sources = chains.first { $0.key.hasPrefix("KYVERN-NETPOL-AS") }
        let destinations = chains.first { $0.key.hasPrefix("KYVERN-NETPOL-AD") }
        let block = chains.first { $0.key.hasPrefix("KYVERN-NETPOL-BD") }
        #expect(sources?.value == many.map { "-s \($0) -g KYVERN-NETPOL-ALLOW" })
        #expect(destinations?.value == many.map { "-d \($0) -g KYVERN-NETPOL-ALLOW" })
        #expect(block?.value == ["-d 10.42.0.0/16 -j RETURN", "-d 10.43.0.0/16 -j RETURN", "-d 10.0.0.0/8 -g KYVERN-NETPOL-ALLOW"])
        guard let sources, let destinations, let block else { return }
        var expected = Self.fixed
        expected[db] = ["-p tcp -m tcp --dport 5432 -j \(sources.key)", "-d 10.42.0.5 -p tcp -m tcp --dport 6432 -g KYVERN-NETPOL-ALLOW"]
        expected[deny] = []
        // Isolating its pod alone, the egress policy is its own isolation chain: what it allows
        // returns at once, what a condition chain allowed (those last, so nothing returns with
        // the mark still set) comes back marked, the rest is dropped.
        expected[dns] = [
            "-j MARK --set-xmark 0x0/0x10000",
            "-p udp -m udp --dport 53 -j RETURN", "-p sctp -j RETURN",
            "-d 10.42.0.7 -p tcp -m tcp --dport 80 -j RETURN", "-d 10.42.0.8 -p tcp -m tcp --dport 80 -j RETURN",
            "-d 192.168.0.0/16 -j RETURN",
            "-p tcp -m tcp --dport 8000:8080 -j \(block.key)",
            "-j \(destinations.key)",
            "-m mark --mark 0x10000/0x10000 -g KYVERN-NETPOL-PASS",
            "-m comment --comment \"shop/dns\" -j DROP",
        ]
        expected[isolatedIn] = [
            "-j MARK --set-xmark 0x0/0x10000",
            "-m comment --comment \"shop/db\" -j \(db)", "-m mark --mark 0x10000/0x10000 -g KYVERN-NETPOL-PASS",
            "-m comment --comment \"shop/deny\" -j \(deny)", "-m mark --mark 0x10000/0x10000 -g KYVERN-NETPOL-PASS",
            "-j DROP",
        ]
        expected["KYVERN-NETPOL-INGRESS"] = ["-d 10.42.0.3 -g \(isolatedIn)", "-d 10.42.0.5 -g \(isolatedIn)"]
        expected["KYVERN-NETPOL-EGRESS"] = ["-s 10.42.0.3 -g \(dns)"]
        expected[sources.key] = sources.value
        expected[destinations.key] = destinations.value
        expected[block.key] = block.value
        #expect(chains == expected)
        #expect(output.isolatedPods == 2)
    }

    @Test func aNamedPortForSomePodsChainsTheLocalListThenThePeers() {
        let local = ["10.42.0.2", "10.42.0.3", "10.42.0.4", "10.42.0.5", "10.42.0.6"]
        let peers = ["10.42.1.2", "10.42.1.3", "10.42.1.4", "10.42.1.5", "10.42.1.6"]
        var set = PolicyRuleSet()
        set.ingress = [.init(policy: "shop/db", direction: .ingress, matches: [
            .init(peer: .addresses(peers), ports: [.init(proto: "TCP", ports: 5432...5432)], localPods: local),
        ])]
        set.ingressPods = ["10.42.0.2": ["shop/db"]]
        let chains = Self.byName(IptablesPolicyBuilder().build(set))
        let peerChain = chains.first { $0.key.hasPrefix("KYVERN-NETPOL-AS") }
        let localChain = chains.first { $0.key.hasPrefix("KYVERN-NETPOL-AD") }
        #expect(peerChain?.value == peers.map { "-s \($0) -g KYVERN-NETPOL-ALLOW" })
        #expect(localChain?.value == local.map { "-d \($0) -g \(peerChain?.key ?? "")" })
        #expect(chains[IptablesPolicyBuilder.soloChain(.ingress, policy: "shop/db")] == [
            "-j MARK --set-xmark 0x0/0x10000", "-p tcp -m tcp --dport 5432 -j \(localChain?.key ?? "")",
            "-m mark --mark 0x10000/0x10000 -g KYVERN-NETPOL-PASS", "-m comment --comment \"shop/db\" -j DROP",
        ])
        #expect(chains[IptablesPolicyBuilder.policyChain(.ingress, policy: "shop/db")] == nil, "no other pod shares it")
    }

    @Test func aRestoreRewritesOnlyChangedChainsAndDeletesStaleOnesInOneTransaction() {
        var set = PolicyRuleSet()
        set.ingress = [.init(policy: "shop/db", direction: .ingress, matches: [.init(peer: .any)])]
        set.ingressPods = ["10.42.0.3": ["shop/db"]]
        let first = IptablesPolicyBuilder().build(set)
        let full = IptablesPolicyBuilder.restore(first, applied: nil, existing: ["KYVERN-NETPOL-PIOLD", "KYVERN-SVC-X"],
                                                 hookLines: ["-I FORWARD 1 x"])
        let lines = full.split(separator: "\n").map(String.init)
        #expect(lines.first == "*filter" && lines.last == "COMMIT")
        #expect(lines.filter { $0.hasPrefix(":") }.count == first.chains.count + 1)
        #expect(lines.contains(":KYVERN-NETPOL-PIOLD - [0:0]") && lines.contains("-X KYVERN-NETPOL-PIOLD"))
        #expect(!full.contains("KYVERN-SVC-X"), "the proxy's chains are not ours to delete")
        #expect(lines.firstIndex(of: "-I FORWARD 1 x")! < lines.firstIndex(of: "-X KYVERN-NETPOL-PIOLD")!)

        let applied = Self.byName(first)
        #expect(IptablesPolicyBuilder.restore(first, applied: applied) == "", "nothing changed, nothing to load")

        set.ingress[0].matches = [.init(peer: .any, ports: [.init(proto: "TCP", ports: 80...80)])]
        let second = IptablesPolicyBuilder().build(set)
        let policy = IptablesPolicyBuilder.soloChain(.ingress, policy: "shop/db")
        #expect(IptablesPolicyBuilder.restore(second, applied: applied) == """
            *filter
            :\(policy) - [0:0]
            -A \(policy) -p tcp -m tcp --dport 80 -j RETURN
            -A \(policy) -m comment --comment "shop/db" -j DROP
            COMMIT

            """)

        set = PolicyRuleSet()
        let third = IptablesPolicyBuilder().build(set)
        let gone = IptablesPolicyBuilder.restore(third, applied: Self.byName(second))
        #expect(gone == "*filter\n:KYVERN-NETPOL-INGRESS - [0:0]\n:\(policy) - [0:0]\n-X \(policy)\nCOMMIT\n")
    }

    @Test func hooksAreMadeTheFirstRuleOfTheirChains() {
        let forward = "-A FORWARD -m comment --comment \"kyvern network policies\" -j KYVERN-NETPOL-FORWARD"
        let input = "-A INPUT -m comment --comment \"kyvern network policies\" -j KYVERN-NETPOL-INPUT"
        let proxy = "-A FORWARD -m comment --comment \"kyvern forwarding rules\" -j KYVERN-FORWARD"
        #expect(IptablesPolicyBuilder.hookRepairs(save: "*filter\n:FORWARD ACCEPT [0:0]\n\(forward)\n\(proxy)\n\(input)\nCOMMIT\n") == [])
        #expect(IptablesPolicyBuilder.hookRepairs(save: "*filter\n\(input)\nCOMMIT\n") == [
            "-I FORWARD 1 -m comment --comment \"kyvern network policies\" -j KYVERN-NETPOL-FORWARD",
        ])
        // The proxy inserted its own jump above ours: ours moves back to the top.
        #expect(IptablesPolicyBuilder.hookRepairs(save: "*filter\n\(proxy)\n\(forward)\n\(input)\nCOMMIT\n") == [
            "-D FORWARD -m comment --comment \"kyvern network policies\" -j KYVERN-NETPOL-FORWARD",
            "-I FORWARD 1 -m comment --comment \"kyvern network policies\" -j KYVERN-NETPOL-FORWARD",
        ])
    }

    @Test func removalDeletesHooksAndEveryPolicyChainButNotTheProxys() {
        let save = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :KYVERN-FORWARD - [0:0]
            :KYVERN-NETPOL-FORWARD - [0:0]
            :KYVERN-NETPOL-PIABC - [0:0]
            -A INPUT -m comment --comment "kyvern network policies" -j KYVERN-NETPOL-INPUT
            -A FORWARD -m comment --comment "kyvern network policies" -j KYVERN-NETPOL-FORWARD
            -A FORWARD -m comment --comment "kyvern forwarding rules" -j KYVERN-FORWARD
            -A KYVERN-NETPOL-FORWARD -j KYVERN-NETPOL-PIABC
            COMMIT

            """
        #expect(IptablesPolicyBuilder.removal(save: save) == """
            *filter
            :KYVERN-NETPOL-FORWARD - [0:0]
            :KYVERN-NETPOL-PIABC - [0:0]
            -D INPUT -m comment --comment "kyvern network policies" -j KYVERN-NETPOL-INPUT
            -D FORWARD -m comment --comment "kyvern network policies" -j KYVERN-NETPOL-FORWARD
            -X KYVERN-NETPOL-FORWARD
            -X KYVERN-NETPOL-PIABC
            COMMIT

            """)
        #expect(IptablesPolicyBuilder.removal(save: "*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n") == "")
        // And the proxy leaves the policy chains and their hooks alone.
        #expect(RestorePlan.kyvernChains(inSave: save) == ["KYVERN-FORWARD"])
        #expect(BuiltinJump.deletions(save: save) == ["-D FORWARD -m comment --comment \"kyvern forwarding rules\" -j KYVERN-FORWARD"])
    }
}
