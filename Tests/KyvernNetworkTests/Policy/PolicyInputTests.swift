import KyvernAPI
import Testing

@testable import KyvernNetwork

@Suite("NetworkPolicy inputs: policies, pods and namespaces")
struct PolicyInputTests {
    typealias F = ProxyFixtures

    @Test func policyTypesDefaultToIngressAndToEgressWhenEgressRulesArePresent() throws {
        let ingressOnly = try #require(NetworkPolicyModel(json: F.json("""
            {"metadata":{"name":"a","namespace":"n"},"spec":{"podSelector":{}}}
            """)))
        #expect(ingressOnly.ingress == [])
        #expect(ingressOnly.egress == nil)
        let both = try #require(NetworkPolicyModel(json: F.json("""
            {"metadata":{"name":"a","namespace":"n"},"spec":{"podSelector":{},"egress":[{}]}}
            """)))
        #expect(both.ingress == [])
        #expect(both.egress == [.init()])
        let egressOnly = try #require(NetworkPolicyModel(json: F.json("""
            {"metadata":{"name":"a","namespace":"n"},"spec":{"podSelector":{},"policyTypes":["Egress"],"ingress":[{}]}}
            """)))
        #expect(egressOnly.ingress == nil)
        #expect(egressOnly.egress == [])
    }

    @Test func peersAndPortsAreReadAsUpstreamDefinesThem() throws {
        let policy = try #require(NetworkPolicyModel(json: F.json("""
            {"metadata":{"name":"db","namespace":"shop"},
             "spec":{"podSelector":{"matchLabels":{"app":"db"}},
                     "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"api"}}},
                                         {"namespaceSelector":{"matchLabels":{"team":"ops"}}},
                                         {"namespaceSelector":{},"podSelector":{"matchLabels":{"role":"x"}}},
                                         {"ipBlock":{"cidr":"10.1.2.3/16","except":["10.1.5.0/24"]}}],
                                 "ports":[{"port":5432},{"protocol":"UDP","port":"dns"},{"port":6000,"endPort":6010},
                                          {"protocol":"SCTP"}]}]}}
            """)))
        #expect(policy.key == "shop/db")
        #expect(policy.podSelector == LabelSelector(matchLabels: ["app": "db"]))
        let rule = try #require(policy.ingress?.first)
        #expect(rule.peers == [
            .pods(pods: LabelSelector(matchLabels: ["app": "api"]), namespaces: nil),
            .pods(pods: .everything, namespaces: LabelSelector(matchLabels: ["team": "ops"])),
            .pods(pods: LabelSelector(matchLabels: ["role": "x"]), namespaces: .everything),
            .block(cidr: "10.1.0.0/16", except: ["10.1.5.0/24"]),
        ])
        #expect(rule.ports == [
            .init(proto: "TCP", number: .range(5432, 5432)), .init(proto: "UDP", number: .named("dns")),
            .init(proto: "TCP", number: .range(6000, 6010)), .init(proto: "SCTP", number: .any),
        ])
    }

    @Test func aRuleWhosePeersAreAllUnusableMatchesNothing() throws {
        let policy = try #require(NetworkPolicyModel(json: F.json("""
            {"metadata":{"name":"v6","namespace":"n"},"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"fd00::/8"}}]}]}}
            """)))
        #expect(policy.ingress == [.init(peers: [.pods(pods: .nothing, namespaces: nil)])])
    }

    @Test func podsCarryTheirAddressLabelsNodeAndNamedPorts() throws {
        let pod = try #require(PolicyPod(json: F.json("""
            {"metadata":{"name":"db-0","namespace":"shop","labels":{"app":"db"}},
             "spec":{"nodeName":"n1","containers":[{"ports":[{"name":"pg","containerPort":5432},
                                                             {"name":"dns","containerPort":53,"protocol":"UDP"},
                                                             {"containerPort":9}]}]},
             "status":{"phase":"Running","podIP":"10.42.0.7","podIPs":[{"ip":"fd00::7"},{"ip":"10.42.0.7"}]}}
            """)))
        #expect(pod == PolicyPod(namespace: "shop", name: "db-0", labels: ["app": "db"], ip: "10.42.0.7", nodeName: "n1",
                                 namedPorts: ["pg/TCP": 5432, "dns/UDP": 53]))
        #expect(pod.port(named: "pg", proto: "TCP") == 5432)
        #expect(pod.port(named: "pg", proto: "UDP") == nil)
    }

    @Test func podsWithoutAddressOnTheHostNetworkOrFinishedAreLeftOut() {
        #expect(PolicyPod(json: F.json(#"{"metadata":{"name":"p","namespace":"n"},"spec":{},"status":{"phase":"Pending"}}"#)) == nil)
        #expect(PolicyPod(json: F.json(#"{"metadata":{"name":"p","namespace":"n"},"spec":{"hostNetwork":true},"status":{"podIP":"10.0.0.1"}}"#)) == nil)
        #expect(PolicyPod(json: F.json(#"{"metadata":{"name":"p","namespace":"n"},"spec":{},"status":{"phase":"Succeeded","podIP":"10.0.0.1"}}"#)) == nil)
    }

    @Test func namespacesAlwaysCarryTheirNameLabel() throws {
        let namespace = try #require(PolicyNamespace(json: F.json(#"{"metadata":{"name":"shop","labels":{"team":"a"}}}"#)))
        #expect(namespace.labels == ["team": "a", "kubernetes.io/metadata.name": "shop"])
    }
}
