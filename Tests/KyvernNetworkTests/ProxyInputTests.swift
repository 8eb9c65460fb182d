import KyvernAPI
import Testing

@testable import KyvernNetwork

@Suite("Proxy inputs: Services and EndpointSlices")
struct ProxyInputTests {
    typealias F = ProxyFixtures

    static let service = F.json("""
        {"metadata":{"name":"web","namespace":"shop"},
         "spec":{"type":"NodePort","clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20"],
                 "sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":600}},
                 "externalTrafficPolicy":"Local","internalTrafficPolicy":"Cluster",
                 "ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080},
                          {"name":"dns","protocol":"UDP","port":53,"nodePort":30053}]}}
        """)

    @Test func servicePortsCarryEveryFeature() {
        let ports = ServicePortSpec.ports(of: Self.service)
        #expect(ports == [
            ServicePortSpec(name: .init(namespace: "shop", name: "web", port: "http"), proto: .tcp, clusterIPs: ["10.43.0.20"],
                            port: 80, nodePort: 30080, affinityTimeout: 600, externalPolicyLocal: true),
            ServicePortSpec(name: .init(namespace: "shop", name: "web", port: "dns"), proto: .udp, clusterIPs: ["10.43.0.20"],
                            port: 53, nodePort: 30053, affinityTimeout: 600, externalPolicyLocal: true),
        ])
    }

    @Test func externalIPsAndLoadBalancerAddressesLeadToThePortToo() {
        let ports = ServicePortSpec.ports(of: F.json("""
            {"metadata":{"name":"lb","namespace":"shop"},
             "spec":{"type":"LoadBalancer","clusterIP":"10.43.0.21","clusterIPs":["10.43.0.21"],
                     "externalIPs":["198.51.100.7","10.43.0.21"],"externalTrafficPolicy":"Local",
                     "ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30081}]},
             "status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"VIP"},{"ip":"192.0.2.11","ipMode":"Proxy"},
                                                  {"ip":"198.51.100.7"},{"hostname":"lb.example.com"},{"ip":"2001:db8::1"}]}}}
            """))
        #expect(ports.map(\.externalAddresses) == [["198.51.100.7", "192.0.2.10"]])
        #expect(ports.first?.externalPolicyLocal == true && ports.first?.externallyAccessible == true)
        // A ClusterIP Service with external IPs is reachable from outside too (no node port).
        let clusterIP = ServicePortSpec.ports(of: F.json("""
            {"metadata":{"name":"ext","namespace":"shop"},
             "spec":{"type":"ClusterIP","clusterIP":"10.43.0.22","externalIPs":["198.51.100.8"],
                     "ports":[{"port":80}]}}
            """))
        #expect(clusterIP.first?.externalAddresses == ["198.51.100.8"] && clusterIP.first?.externallyAccessible == true)
        // A load balancer address on a Service that is no longer a LoadBalancer is not served.
        let changed = ServicePortSpec.ports(of: F.json("""
            {"metadata":{"name":"was","namespace":"shop"},
             "spec":{"type":"ClusterIP","clusterIP":"10.43.0.23","ports":[{"port":80}]},
             "status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.12"}]}}}
            """))
        #expect(changed.first?.externalAddresses == [])
    }

    @Test func headlessExternalNameAndDefaultsAreHandled() {
        #expect(ServicePortSpec.ports(of: F.json("""
            {"metadata":{"name":"h","namespace":"a"},"spec":{"clusterIP":"None","ports":[{"port":80}]}}
            """)).isEmpty)
        #expect(ServicePortSpec.ports(of: F.json("""
            {"metadata":{"name":"x","namespace":"a"},"spec":{"type":"ExternalName","externalName":"example.org"}}
            """)).isEmpty)
        let plain = ServicePortSpec.ports(of: F.json("""
            {"metadata":{"name":"p","namespace":"a"},"spec":{"clusterIP":"10.43.0.5","sessionAffinity":"ClientIP",
             "externalTrafficPolicy":"Local","ports":[{"port":80,"nodePort":30001}]}}
            """))
        // A ClusterIP Service has no node port even if one is written, and Local external policy
        // means nothing without one; affinity defaults to upstream's 3 hours.
        #expect(plain == [ServicePortSpec(name: .init(namespace: "a", name: "p", port: ""), proto: .tcp,
                                          clusterIPs: ["10.43.0.5"], port: 80, affinityTimeout: 10800)])
        #expect(plain.first?.name.description == "a/p")
    }

    static func slice(_ name: String, _ endpoints: String, ports: String = #"[{"name":"http","protocol":"TCP","port":8080}]"#) -> JSONValue {
        F.json("""
            {"metadata":{"name":"\(name)","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
             "addressType":"IPv4","ports":\(ports),"endpoints":\(endpoints)}
            """)
    }

    @Test func slicesMergeDeduplicatedByAddressPreferringReady() {
        let port = ServicePortSpec.ports(of: Self.service)[0]
        let first = Self.slice("web-a", """
            [{"addresses":["10.42.0.12"],"conditions":{"ready":false,"serving":false},"nodeName":"node-a"},
             {"addresses":["10.42.0.11"],"conditions":{"ready":true},"nodeName":"node-a"}]
            """)
        let second = Self.slice("web-b", """
            [{"addresses":["10.42.0.12"],"conditions":{"ready":true},"nodeName":"node-a"},
             {"addresses":["10.42.0.11"],"conditions":{"ready":false},"nodeName":"node-b"},
             {"addresses":["10.42.0.13"],"conditions":{"ready":false,"serving":true,"terminating":true}},
             {"addresses":["10.42.0.14"]}]
            """)
        let merged = EndpointSliceMerge.endpoints(for: port, slices: [second, first])
        #expect(merged == [
            ProxyEndpoint(ip: "10.42.0.11", port: 8080, nodeName: "node-a"),
            ProxyEndpoint(ip: "10.42.0.12", port: 8080, nodeName: "node-a"),
            ProxyEndpoint(ip: "10.42.0.13", port: 8080, ready: false, serving: true, terminating: true),
            ProxyEndpoint(ip: "10.42.0.14", port: 8080),
        ])
        // The UDP port finds no matching slice port: no endpoints.
        #expect(EndpointSliceMerge.endpoints(for: ServicePortSpec.ports(of: Self.service)[1], slices: [first, second]).isEmpty)
    }

    @Test func snapshotJoinsSlicesToTheirServiceOnly() {
        let mine = Self.slice("web-a", #"[{"addresses":["10.42.0.11"]}]"#)
        let other = F.json("""
            {"metadata":{"name":"api-a","namespace":"shop","labels":{"kubernetes.io/service-name":"api"}},
             "addressType":"IPv4","ports":[{"name":"http","port":9000}],"endpoints":[{"addresses":["10.42.0.99"]}]}
            """)
        let entries = ProxySnapshot.entries(services: [Self.service], slices: [other, mine])
        #expect(entries.map(\.port.name.port) == ["dns", "http"])
        #expect(entries.map(\.endpoints.count) == [0, 1])
    }
}
