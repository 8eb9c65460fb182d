import KyvernAPI
import Testing

@testable import KyvernNetwork

@Suite("NetworkPolicy compiler")
struct PolicyCompilerTests {
    static let node = "node-a"
    static let compiler = PolicyCompiler(nodeName: node)

    static func pod(_ name: String, _ ip: String, namespace: String = "shop", labels: [String: String] = [:],
                    node: String = PolicyCompilerTests.node, ports: [String: Int] = [:]) -> PolicyPod {
        PolicyPod(namespace: namespace, name: name, labels: labels, ip: ip, nodeName: node, namedPorts: ports)
    }

    static let api = pod("api", "10.42.0.2", labels: ["app": "api"])
    static let db = pod("db", "10.42.0.3", labels: ["app": "db"], ports: ["pg/TCP": 5432])
    static let other = pod("other", "10.42.0.4", labels: ["app": "web"])
    static let remoteAPI = pod("api-2", "10.42.1.2", labels: ["app": "api"], node: "node-b")
    static let opsTool = pod("tool", "10.42.0.9", namespace: "ops", labels: ["app": "api"])
    static let pods = [api, db, other, remoteAPI, opsTool]
    static let namespaces = [PolicyNamespace(name: "shop"), PolicyNamespace(name: "ops", labels: ["team": "ops"])]

    static let onlyAPIToDB = NetworkPolicyModel(
        namespace: "shop", name: "db", podSelector: .init(matchLabels: ["app": "db"]),
        ingress: [.init(peers: [.pods(pods: .init(matchLabels: ["app": "api"]), namespaces: nil)],
                        ports: [.init(number: .range(5432, 5432))])])

    @Test func podsNoPolicySelectsAreNotIsolated() {
        let set = Self.compiler.compile(policies: [], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set == PolicyRuleSet())
    }

    @Test func onlyTheSelectedPodIsIsolatedAndOnlyItsPeersOnThePortPass() {
        let set = Self.compiler.compile(policies: [Self.onlyAPIToDB], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingressPods == ["10.42.0.3": ["shop/db"]])
        #expect(set.egressPods.isEmpty)
        // Pods on other nodes are peers too; the other namespace's api pod is not.
        #expect(set.ingress == [.init(policy: "shop/db", direction: .ingress, matches: [
            .init(peer: .addresses(["10.42.0.2", "10.42.1.2"]), ports: [.init(proto: "TCP", ports: 5432...5432)]),
        ])])
    }

    @Test func podsOnOtherNodesAreNotProgrammedHere() {
        let policy = NetworkPolicyModel(namespace: "shop", name: "deny", podSelector: .init(matchLabels: ["app": "api"]), ingress: [])
        let set = Self.compiler.compile(policies: [policy], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingressPods == ["10.42.0.2": ["shop/deny"]])
        #expect(set.ingress == [.init(policy: "shop/deny", direction: .ingress, matches: [])])
    }

    @Test func namespaceSelectorAloneAndWithAPodSelector() {
        let byNamespace = NetworkPolicyModel(
            namespace: "shop", name: "ops", podSelector: .init(matchLabels: ["app": "db"]),
            ingress: [.init(peers: [.pods(pods: .everything, namespaces: .init(matchLabels: ["team": "ops"]))])])
        var set = Self.compiler.compile(policies: [byNamespace], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingress.first?.matches == [.init(peer: .addresses(["10.42.0.9"]))])

        let both = NetworkPolicyModel(
            namespace: "shop", name: "both", podSelector: .init(matchLabels: ["app": "db"]),
            ingress: [.init(peers: [.pods(pods: .init(matchLabels: ["app": "api"]), namespaces: .everything)])])
        set = Self.compiler.compile(policies: [both], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingress.first?.matches == [.init(peer: .addresses(["10.42.0.2", "10.42.0.9", "10.42.1.2"]))])

        // By name, through the label every namespace carries.
        let byName = NetworkPolicyModel(
            namespace: "shop", name: "by-name", podSelector: .init(matchLabels: ["app": "db"]),
            ingress: [.init(peers: [.pods(pods: .everything,
                                          namespaces: .init(matchLabels: ["kubernetes.io/metadata.name": "ops"]))])])
        set = Self.compiler.compile(policies: [byName], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingress.first?.matches == [.init(peer: .addresses(["10.42.0.9"]))])
    }

    @Test func aRuleWithoutPeersOrPortsAllowsEverythingAndSelectorsMatchingNothingAllowNothing() {
        let open = NetworkPolicyModel(namespace: "shop", name: "open", podSelector: .everything, ingress: [.init()])
        let none = NetworkPolicyModel(namespace: "shop", name: "none", podSelector: .init(matchLabels: ["app": "db"]),
                                      ingress: [.init(peers: [.pods(pods: .init(matchLabels: ["app": "nobody"]), namespaces: nil)])])
        let set = Self.compiler.compile(policies: [open, none], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingress == [
            .init(policy: "shop/none", direction: .ingress, matches: []),
            .init(policy: "shop/open", direction: .ingress, matches: [.init(peer: .any)]),
        ])
        #expect(set.ingressPods["10.42.0.3"] == ["shop/none", "shop/open"])
        #expect(set.ingressPods["10.42.0.4"] == ["shop/open"])
    }

    @Test func namedPortsResolvePerSelectedPodForIngress() {
        let db2 = Self.pod("db-2", "10.42.0.5", labels: ["app": "db"], ports: ["pg/TCP": 6432])
        let db3 = Self.pod("db-3", "10.42.0.6", labels: ["app": "db"])
        let policy = NetworkPolicyModel(namespace: "shop", name: "pg", podSelector: .init(matchLabels: ["app": "db"]),
                                        ingress: [.init(ports: [.init(number: .named("pg")), .init(proto: "UDP", number: .range(53, 60))])])
        let set = Self.compiler.compile(policies: [policy], pods: Self.pods + [db2, db3], namespaces: Self.namespaces)
        #expect(set.ingress.first?.matches == [
            .init(peer: .any, ports: [.init(proto: "UDP", ports: 53...60)]),
            .init(peer: .any, ports: [.init(proto: "TCP", ports: 5432...5432)], localPods: ["10.42.0.3"]),
            .init(peer: .any, ports: [.init(proto: "TCP", ports: 6432...6432)], localPods: ["10.42.0.5"]),
        ])
        // db-3 has no such port: isolated, and only the UDP range reaches it.
        #expect(set.ingressPods["10.42.0.6"] == ["shop/pg"])
    }

    @Test func aNamedPortEveryTargetDeclaresAlikeNeedsNoPodList() {
        let policy = NetworkPolicyModel(namespace: "shop", name: "pg", podSelector: .init(matchLabels: ["app": "db"]),
                                        ingress: [.init(peers: [.pods(pods: .init(matchLabels: ["app": "api"]), namespaces: nil)],
                                                        ports: [.init(number: .named("pg"))])])
        let set = Self.compiler.compile(policies: [policy], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingress.first?.matches == [
            .init(peer: .addresses(["10.42.0.2", "10.42.1.2"]), ports: [.init(proto: "TCP", ports: 5432...5432)]),
        ])
    }

    @Test func namedPortsResolveAgainstTheDestinationForEgress() {
        let policy = NetworkPolicyModel(namespace: "shop", name: "out", podSelector: .init(matchLabels: ["app": "api"]),
                                        egress: [.init(ports: [.init(number: .named("pg"))])])
        let set = Self.compiler.compile(policies: [policy], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.egressPods == ["10.42.0.2": ["shop/out"]])
        #expect(set.ingressPods.isEmpty)
        #expect(set.egress == [.init(policy: "shop/out", direction: .egress, matches: [
            .init(peer: .addresses(["10.42.0.3"]), ports: [.init(proto: "TCP", ports: 5432...5432)]),
        ])])
    }

    @Test func ipBlocksKeepTheirExceptionsAndEndPortRanges() {
        let policy = NetworkPolicyModel(
            namespace: "shop", name: "blocks", podSelector: .init(matchLabels: ["app": "web"]),
            egress: [.init(peers: [.block(cidr: "10.0.0.0/8", except: ["10.42.0.0/16"]),
                                   .pods(pods: .init(matchLabels: ["app": "db"]), namespaces: nil)],
                           ports: [.init(number: .range(5000, 6000))])])
        let set = Self.compiler.compile(policies: [policy], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.egress.first?.matches == [
            .init(peer: .addresses(["10.42.0.3"]), ports: [.init(proto: "TCP", ports: 5000...6000)]),
            .init(peer: .block(cidr: "10.0.0.0/8", except: ["10.42.0.0/16"]), ports: [.init(proto: "TCP", ports: 5000...6000)]),
        ])
    }

    @Test func aPodSelectedByPoliciesOfBothDirectionsIsIsolatedInBoth() {
        let egress = NetworkPolicyModel(namespace: "shop", name: "dns-only", podSelector: .init(matchLabels: ["app": "db"]),
                                        ingress: [], egress: [.init(ports: [.init(proto: "UDP", number: .range(53, 53))])])
        let set = Self.compiler.compile(policies: [Self.onlyAPIToDB, egress], pods: Self.pods, namespaces: Self.namespaces)
        #expect(set.ingressPods == ["10.42.0.3": ["shop/db", "shop/dns-only"]])
        #expect(set.egressPods == ["10.42.0.3": ["shop/dns-only"]])
        #expect(set.egress == [.init(policy: "shop/dns-only", direction: .egress,
                                     matches: [.init(peer: .any, ports: [.init(proto: "UDP", ports: 53...53)])])])
    }
}
