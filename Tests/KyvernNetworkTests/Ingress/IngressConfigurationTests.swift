import KyvernAPI
import Testing

@testable import KyvernNetwork

@Suite("Ingress configuration: classes, backends, endpoints and TLS hosts")
struct IngressConfigurationTests {
    typealias F = ProxyFixtures

    static let services = [
        F.json("""
            {"metadata":{"name":"web","namespace":"shop"},
             "spec":{"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"admin","port":9000}]}}
            """),
        F.json("""
            {"metadata":{"name":"api","namespace":"shop"},"spec":{"ports":[{"port":8080}]}}
            """),
    ]

    static let slices = [
        F.json("""
            {"metadata":{"name":"web-1","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
             "addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"},{"name":"admin","port":9000}],
             "endpoints":[{"addresses":["10.42.0.5"],"conditions":{"ready":true}},
                          {"addresses":["10.42.0.6"],"conditions":{"ready":false}}]}
            """),
        F.json("""
            {"metadata":{"name":"api-1","namespace":"shop","labels":{"kubernetes.io/service-name":"api"}},
             "addressType":"IPv4","ports":[{"name":"","port":8080}],
             "endpoints":[{"addresses":["10.42.0.9"],"conditions":{"ready":false}}]}
            """),
    ]

    static func ingress(_ name: String, created: String = "2026-01-01T00:00:00Z", className: String? = nil,
                        annotations: String = "{}", spec: String) -> JSONValue {
        let classField = className.map { "\"ingressClassName\":\"\($0)\"," } ?? ""
        return F.json("""
            {"metadata":{"name":"\(name)","namespace":"shop","creationTimestamp":"\(created)","annotations":\(annotations)},
             "spec":{\(classField)\(spec)}}
            """)
    }

    static let ours = IngressClassSelection(classes: [IngressClassSelection.builtinClass])

    @Test func classSelectionFollowsControllerAndDefault() {
        let other = F.json("""
            {"metadata":{"name":"nginx"},"spec":{"controller":"k8s.io/ingress-nginx"}}
            """)
        let selection = IngressClassSelection(classes: [IngressClassSelection.builtinClass, other])
        #expect(selection.serves(Self.ingress("a", className: "kyvern", spec: "\"rules\":[]")))
        #expect(!selection.serves(Self.ingress("b", className: "nginx", spec: "\"rules\":[]")))
        #expect(selection.serves(Self.ingress("c", spec: "\"rules\":[]")))
        #expect(!selection.serves(Self.ingress("d", annotations: "{\"kubernetes.io/ingress.class\":\"nginx\"}", spec: "\"rules\":[]")))
        // another default class takes class-less Ingresses away (two defaults: upstream admission refuses them)
        let otherDefault = F.json("""
            {"metadata":{"name":"nginx","annotations":{"ingressclass.kubernetes.io/is-default-class":"true"}},
             "spec":{"controller":"k8s.io/ingress-nginx"}}
            """)
        #expect(!IngressClassSelection(classes: [IngressClassSelection.builtinClass, otherDefault]).serves(
            Self.ingress("e", spec: "\"rules\":[]")))
        // before the built-in class exists it is assumed
        #expect(IngressClassSelection(classes: []).serves(Self.ingress("f", spec: "\"rules\":[]")))
        #expect(IngressClassSelection.builtinClass.annotations["ingressclass.kubernetes.io/is-default-class"] == "true")
    }

    @Test func backendsResolveToReadyEndpointsByPortNumberOrName() {
        let ingress = Self.ingress("shop", spec: """
            "rules":[{"host":"shop.example","http":{"paths":[
              {"path":"/a","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}},
              {"path":"/admin","pathType":"Exact","backend":{"service":{"name":"web","port":{"name":"admin"}}}},
              {"path":"/api","pathType":"Prefix","backend":{"service":{"name":"api","port":{"number":8080}}}},
              {"path":"/gone","pathType":"Prefix","backend":{"service":{"name":"missing","port":{"number":80}}}}]}}]
            """)
        let configuration = IngressConfiguration.build(ingresses: [ingress], selection: Self.ours,
                                                       services: Self.services, slices: Self.slices)
        let web = IngressBackend(namespace: "shop", service: "web", port: .number(80))
        let admin = IngressBackend(namespace: "shop", service: "web", port: .name("admin"))
        #expect(configuration.routes.match(host: "shop.example", target: "/a/x") == web)
        #expect(configuration.routes.match(host: "shop.example", target: "/admin") == admin)
        #expect(configuration.endpoints[web] == [ProxyEndpoint(ip: "10.42.0.5", port: 8080)])
        #expect(configuration.endpoints[admin] == [ProxyEndpoint(ip: "10.42.0.5", port: 9000)])
        // no ready endpoint, or no Service: absent, which the proxy answers with 503
        #expect(configuration.endpoints[IngressBackend(namespace: "shop", service: "api", port: .number(8080))] == nil)
        #expect(configuration.endpoints[IngressBackend(namespace: "shop", service: "missing", port: .number(80))] == nil)
        #expect(configuration.served == ["shop/shop"])
    }

    @Test func oldestIngressWinsConflictsAndTheDefaultBackend() {
        let newer = Self.ingress("newer", created: "2026-02-01T00:00:00Z", spec: """
            "defaultBackend":{"service":{"name":"api","port":{"number":8080}}},
            "rules":[{"host":"x.example","http":{"paths":[{"path":"/","pathType":"Prefix",
              "backend":{"service":{"name":"api","port":{"number":8080}}}}]}}],
            "tls":[{"hosts":["x.example"],"secretName":"newer-tls"}]
            """)
        let older = Self.ingress("older", created: "2026-01-01T00:00:00Z", spec: """
            "defaultBackend":{"service":{"name":"web","port":{"number":80}}},
            "rules":[{"host":"x.example","http":{"paths":[{"path":"/","pathType":"Prefix",
              "backend":{"service":{"name":"web","port":{"number":80}}}}]}}],
            "tls":[{"hosts":["x.example","*.wild.example"],"secretName":"older-tls"}]
            """)
        let configuration = IngressConfiguration.build(ingresses: [newer, older], selection: Self.ours,
                                                       services: Self.services, slices: Self.slices)
        #expect(configuration.routes.match(host: "x.example", target: "/")?.service == "web")
        #expect(configuration.routes.defaultBackend?.service == "web")
        #expect(configuration.secret(forServerName: "X.example")?.name == "older-tls")
        #expect(configuration.secret(forServerName: "a.wild.example")?.name == "older-tls")
        #expect(configuration.secret(forServerName: "a.b.wild.example") == nil)
        #expect(configuration.served == ["shop/older", "shop/newer"])
    }

    @Test func ingressesOfOtherClassesAreIgnored() {
        let theirs = Self.ingress("theirs", className: "nginx", spec: """
            "rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]
            """)
        let configuration = IngressConfiguration.build(ingresses: [theirs], selection: Self.ours,
                                                       services: Self.services, slices: Self.slices)
        #expect(configuration.routes.match(host: "any", target: "/") == nil)
        #expect(configuration.served.isEmpty)
    }
}
