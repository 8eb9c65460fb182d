import Testing

@testable import KyvernNetwork

@Suite("NetworkPolicy nftables text")
struct NftPolicyBuilderTests {
    @Test func anEmptyRuleSetStillReplacesTheTableWithOpenHooks() {
        let output = NftPolicyBuilder().build(PolicyRuleSet())
        #expect(output.text == """
            add table inet kyvern-policy
            delete table inet kyvern-policy
            table inet kyvern-policy {
            \tmap ingress-pods { type ipv4_addr : verdict; }
            \tset ingress-isolated { type ipv4_addr; }
            \tmap egress-pods { type ipv4_addr : verdict; }
            \tset egress-isolated { type ipv4_addr; }
            \tchain egress-forward { type filter hook forward priority 0; policy accept; ct state established,related accept; ip saddr vmap @egress-pods; ip saddr @egress-isolated drop; }
            \tchain ingress-forward { type filter hook forward priority 1; policy accept; ct state established,related accept; fib saddr type local accept; ip daddr vmap @ingress-pods; ip daddr @ingress-isolated drop; }
            \tchain egress-input { type filter hook input priority 0; policy accept; ct state established,related accept; ip saddr vmap @egress-pods; ip saddr @egress-isolated drop; }
            }

            """)
        #expect(output.isolatedPods == 0)
        #expect(output.rules == 0)
    }

    @Test func policiesBecomeChainsIsolatedPodsJumpToThemAndLongAddressListsBecomeSharedSets() {
        var set = PolicyRuleSet()
        set.ingress = [
            .init(policy: "shop/db", direction: .ingress, matches: [
                .init(peer: .addresses(["10.42.0.2", "10.42.0.3", "10.42.0.4", "10.42.0.6", "10.42.1.2"]), ports: [.init(proto: "TCP", ports: 5432...5432)]),
                .init(peer: .any, ports: [.init(proto: "TCP", ports: 6432...6432)], localPods: ["10.42.0.5"]),
            ]),
            .init(policy: "shop/deny", direction: .ingress, matches: []),
        ]
        set.egress = [
            .init(policy: "shop/dns", direction: .egress, matches: [
                .init(peer: .any, ports: [.init(proto: "UDP", ports: 53...53), .init(proto: "SCTP")]),
                .init(peer: .block(cidr: "10.0.0.0/8", except: ["10.42.0.0/16", "10.43.0.0/16"]),
                      ports: [.init(proto: "TCP", ports: 8000...8080)]),
                .init(peer: .addresses(["10.42.0.2", "10.42.0.3", "10.42.0.4", "10.42.0.6", "10.42.1.2"])),
                .init(peer: .addresses(["10.42.0.7", "10.42.0.8"]), ports: [.init(proto: "TCP", ports: 80...80)]),
            ]),
        ]
        set.ingressPods = ["10.42.0.3": ["shop/db", "shop/deny"], "10.42.0.5": ["shop/db", "shop/deny"]]
        set.egressPods = ["10.42.0.3": ["shop/dns"]]
        let db = NftPolicyBuilder.chainName(.ingress, policy: "shop/db")
        let deny = NftPolicyBuilder.chainName(.ingress, policy: "shop/deny")
        let dns = NftPolicyBuilder.chainName(.egress, policy: "shop/dns")
        let isolatedIn = NftPolicyBuilder.isolationChain(.ingress, policies: ["shop/db", "shop/deny"])
        let peers = "addresses-" + ChainNames.hash("10.42.0.2,10.42.0.3,10.42.0.4,10.42.0.6,10.42.1.2")
        #expect(db.hasPrefix("ingress-") && db.hasSuffix("-shop/db"))
        #expect(isolatedIn.hasPrefix("isolated-ingress-"))
        let output = NftPolicyBuilder().build(set)
        #expect(output.text == """
            add table inet kyvern-policy
            delete table inet kyvern-policy
            table inet kyvern-policy {
            \tset \(peers) { type ipv4_addr; elements = { 10.42.0.2, 10.42.0.3, 10.42.0.4, 10.42.0.6, 10.42.1.2 }; }
            \tchain \(db) {
            \t\tip saddr @\(peers) meta l4proto tcp th dport 5432 accept;
            \t\tip daddr 10.42.0.5 meta l4proto tcp th dport 6432 accept;
            \t}
            \tchain \(deny) {
            \t}
            \tchain \(dns) {
            \t\tmeta l4proto udp th dport 53 accept;
            \t\tmeta l4proto sctp accept;
            \t\tip daddr 10.0.0.0/8 ip daddr != { 10.42.0.0/16, 10.43.0.0/16 } meta l4proto tcp th dport 8000-8080 accept;
            \t\tip daddr @\(peers) accept;
            \t\tip daddr 10.42.0.7 meta l4proto tcp th dport 80 accept;
            \t\tip daddr 10.42.0.8 meta l4proto tcp th dport 80 accept;
            \t}
            \tchain \(isolatedIn) {
            \t\tjump \(db);
            \t\tjump \(deny);
            \t}
            \tmap ingress-pods { type ipv4_addr : verdict; elements = { 10.42.0.3 : jump \(isolatedIn), 10.42.0.5 : jump \(isolatedIn) }; }
            \tset ingress-isolated { type ipv4_addr; elements = { 10.42.0.3, 10.42.0.5 }; }
            \tmap egress-pods { type ipv4_addr : verdict; elements = { 10.42.0.3 : jump \(dns) }; }
            \tset egress-isolated { type ipv4_addr; elements = { 10.42.0.3 }; }
            \tchain egress-forward { type filter hook forward priority 0; policy accept; ct state established,related accept; ip saddr vmap @egress-pods; ip saddr @egress-isolated drop; }
            \tchain ingress-forward { type filter hook forward priority 1; policy accept; ct state established,related accept; fib saddr type local accept; ip daddr vmap @ingress-pods; ip daddr @ingress-isolated drop; }
            \tchain egress-input { type filter hook input priority 0; policy accept; ct state established,related accept; ip saddr vmap @egress-pods; ip saddr @egress-isolated drop; }
            }

            """)
        #expect(output.isolatedPods == 2)
        #expect(output.sets == 1)
        #expect(output.rules == 8 + 2)
    }
}
