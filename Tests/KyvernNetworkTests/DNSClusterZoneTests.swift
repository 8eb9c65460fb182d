import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing

@testable import KyvernNetwork

@Suite("Cluster DNS zone answers")
struct DNSClusterZoneTests {
    static let zone = ClusterZone(domain: DNSName("cluster.local")!)

    /// web (ClusterIP), db (headless, three endpoints, one not ready), pub (headless, publishes
    /// not-ready), ext (ExternalName outside), alias (ExternalName inside the zone).
    static var state: ClusterDNSState {
        var state = ClusterDNSState()
        state.upsert(ClusterServiceEntry(namespace: "default", name: "web", clusterIPs: [[10, 43, 0, 20]],
                                         ports: [.init(name: "http", proto: "tcp", port: 80)]))
        state.upsert(ClusterServiceEntry(namespace: "default", name: "db", isHeadless: true,
                                         ports: [.init(name: "pg", proto: "tcp", port: 5432)]))
        state.upsert(ClusterEndpointSliceEntry(
            namespace: "default", name: "db-abc", serviceName: "db", ports: [.init(name: "pg", proto: "tcp", port: 5432)],
            endpoints: [.init(addresses: [[10, 42, 0, 5]], hostname: "db-0"), .init(addresses: [[10, 42, 0, 6]]),
                        .init(addresses: [[10, 42, 0, 7]], ready: false)]))
        state.upsert(ClusterServiceEntry(namespace: "default", name: "pub", isHeadless: true, publishNotReadyAddresses: true))
        state.upsert(ClusterEndpointSliceEntry(namespace: "default", name: "pub-1", serviceName: "pub",
                                               endpoints: [.init(addresses: [[10, 42, 0, 8]], ready: false)]))
        state.upsert(ClusterServiceEntry(namespace: "default", name: "ext", externalName: "example.com"))
        state.upsert(ClusterServiceEntry(namespace: "other", name: "alias", externalName: "web.default.svc.cluster.local"))
        state.upsert(ClusterServiceEntry(namespace: "kube-system", name: "kube-dns", clusterIPs: [[10, 43, 0, 10]]))
        state.upsert(ClusterServiceEntry(namespace: "default", name: "empty", isHeadless: true))
        state.upsert(ClusterServiceEntry(namespace: "default", name: "mixed", clusterIPs: [[10, 43, 0, 30]],
                                         ports: [.init(name: "", proto: "tcp", port: 81), .init(name: "web", proto: "tcp", port: 82)]))
        return state
    }

    static func ask(_ name: String, _ type: DNSRecordType) -> ClusterZoneAnswer? {
        zone.answer(DNSQuestion(name: DNSName(name)!, type: type), in: state)
    }

    static func name(_ text: String) -> DNSName { DNSName(text)! }

    @Test func clusterIPServiceAnswersItsAddressWhateverTheCase() throws {
        let answer = try #require(Self.ask("Web.Default.SVC.cluster.LOCAL", .a))
        #expect(answer.rcode == .noError)
        #expect(answer.answers == [DNSRecord(name: Self.name("Web.Default.SVC.cluster.LOCAL"), ttl: 5, data: .a([10, 43, 0, 20]))])
        #expect(answer.answers[0].name.labels[0] == Array("Web".utf8))
    }

    @Test func wrongTypeIsNoDataWithTheSOA() throws {
        let answer = try #require(Self.ask("web.default.svc.cluster.local", .aaaa))
        #expect(answer.rcode == .noError)
        #expect(answer.answers.isEmpty)
        guard case .soa(let soa) = answer.authority.first?.data else {
            Issue.record("no SOA in authority: \(answer.authority)")
            return
        }
        #expect(answer.authority[0].name == Self.name("cluster.local"))
        #expect(soa.mname == Self.name("ns.dns.cluster.local"))
        #expect(soa.rname == Self.name("hostmaster.cluster.local"))
        #expect(soa.minimum == 5)
    }

    @Test func missingNamesAreNXDomainWithTheSOA() throws {
        for name in ["missing.default.svc.cluster.local", "nosuchns.svc.cluster.local", "a.b.web.default.svc.cluster.local",
                     "foo.cluster.local", "x.web.default.svc.cluster.local", "_http._udp.web.default.svc.cluster.local",
                     "not-an-ip.default.pod.cluster.local"] {
            let answer = try #require(Self.ask(name, .a))
            #expect(answer.rcode == .nameError, "\(name)")
            #expect(answer.answers.isEmpty)
            #expect(answer.authority.first?.type == .soa)
        }
    }

    @Test func namesOnTheWayToRecordsAreNoData() throws {
        for name in ["cluster.local", "svc.cluster.local", "default.svc.cluster.local", "pod.cluster.local",
                     "_tcp.web.default.svc.cluster.local"] {
            let answer = try #require(Self.ask(name, .a))
            #expect(answer.rcode == .noError, "\(name)")
            #expect(answer.answers.isEmpty)
        }
    }

    @Test func headlessServiceAnswersReadyEndpoints() throws {
        let answer = try #require(Self.ask("db.default.svc.cluster.local", .a))
        #expect(answer.answers.map(\.data) == [.a([10, 42, 0, 5]), .a([10, 42, 0, 6])])
        let published = try #require(Self.ask("pub.default.svc.cluster.local", .a))
        #expect(published.answers.map(\.data) == [.a([10, 42, 0, 8])])
    }

    @Test func headlessServiceWithoutReadyEndpointsIsNXDomain() throws {
        #expect(Self.ask("empty.default.svc.cluster.local", .a)?.rcode == .nameError)
        #expect(Self.ask("empty.default.svc.cluster.local", .srv)?.rcode == .nameError)
    }

    @Test func unnamedPortsHaveNoSRV() throws {
        let all = try #require(Self.ask("mixed.default.svc.cluster.local", .srv))
        #expect(all.answers.map(\.data) == [.srv(.init(priority: 0, weight: 100, port: 82, target: Self.name("mixed.default.svc.cluster.local")))])
        #expect(Self.ask("_._tcp.mixed.default.svc.cluster.local", .srv)?.rcode == .nameError)
    }

    @Test func endpointsAnswerByHostnameOrDashedAddress() throws {
        #expect(Self.ask("db-0.db.default.svc.cluster.local", .a)?.answers.map(\.data) == [.a([10, 42, 0, 5])])
        #expect(Self.ask("10-42-0-6.db.default.svc.cluster.local", .a)?.answers.map(\.data) == [.a([10, 42, 0, 6])])
        #expect(Self.ask("10-42-0-7.db.default.svc.cluster.local", .a)?.rcode == .nameError)
    }

    @Test func srvForAClusterIPServiceNamesTheService() throws {
        let answer = try #require(Self.ask("_http._tcp.web.default.svc.cluster.local", .srv))
        let target = Self.name("web.default.svc.cluster.local")
        #expect(answer.answers.map(\.data) == [.srv(.init(priority: 0, weight: 100, port: 80, target: target))])
        #expect(answer.additional == [DNSRecord(name: target, ttl: 5, data: .a([10, 43, 0, 20]))])
        #expect(Self.ask("_http._tcp.web.default.svc.cluster.local", .a)?.answers.isEmpty == true)
    }

    @Test func srvForAHeadlessServiceNamesEachEndpoint() throws {
        let answer = try #require(Self.ask("_pg._tcp.db.default.svc.cluster.local", .srv))
        #expect(answer.answers.map(\.data) == [
            .srv(.init(priority: 0, weight: 50, port: 5432, target: Self.name("db-0.db.default.svc.cluster.local"))),
            .srv(.init(priority: 0, weight: 50, port: 5432, target: Self.name("10-42-0-6.db.default.svc.cluster.local"))),
        ])
        #expect(answer.additional.map(\.name) == [Self.name("db-0.db.default.svc.cluster.local"),
                                                  Self.name("10-42-0-6.db.default.svc.cluster.local")])
    }

    @Test func externalNameIsACNAME() throws {
        let answer = try #require(Self.ask("ext.default.svc.cluster.local", .a))
        #expect(answer.answers.map(\.data) == [.cname(Self.name("example.com"))])
        let alias = try #require(Self.ask("alias.other.svc.cluster.local", .a))
        #expect(alias.answers.map(\.data) == [.cname(Self.name("web.default.svc.cluster.local")), .a([10, 43, 0, 20])])
    }

    @Test func podNamesAnswerTheirAddress() throws {
        #expect(Self.ask("10-42-0-9.default.pod.cluster.local", .a)?.answers.map(\.data) == [.a([10, 42, 0, 9])])
        let v6 = [UInt8]([0xfd, 0] + Array(repeating: 0, count: 13) + [9])
        #expect(Self.ask("fd00--9.default.pod.cluster.local", .aaaa)?.answers.map(\.data) == [.aaaa(v6)])
    }

    @Test func reverseLookupsNameServicesAndEndpoints() throws {
        #expect(Self.ask("20.0.43.10.in-addr.arpa", .ptr)?.answers.map(\.data) == [.ptr(Self.name("web.default.svc.cluster.local"))])
        #expect(Self.ask("5.0.42.10.in-addr.arpa", .ptr)?.answers.map(\.data) == [.ptr(Self.name("db-0.db.default.svc.cluster.local"))])
        #expect(Self.ask("6.0.42.10.IN-ADDR.ARPA", .ptr)?.answers.map(\.data) == [.ptr(Self.name("10-42-0-6.db.default.svc.cluster.local"))])
        // Unknown or not-ready addresses and partial names belong to the upstreams.
        #expect(Self.ask("7.0.42.10.in-addr.arpa", .ptr) == nil)
        #expect(Self.ask("1.1.1.1.in-addr.arpa", .ptr) == nil)
        #expect(Self.ask("43.10.in-addr.arpa", .ptr) == nil)
    }

    @Test func apexVersionAndNameServer() throws {
        #expect(Self.ask("cluster.local", .soa)?.answers.first?.type == .soa)
        #expect(Self.ask("cluster.local", .ns)?.answers.map(\.data) == [.ns(Self.name("ns.dns.cluster.local"))])
        #expect(Self.ask("ns.dns.cluster.local", .a)?.answers.map(\.data) == [.a([10, 43, 0, 10])])
        #expect(Self.ask("dns-version.cluster.local", .txt)?.answers.map(\.data) == [.txt([Array("1.1.0".utf8)])])
    }

    @Test func namesOutsideTheClusterAreNotAnswered() {
        #expect(Self.ask("example.com", .a) == nil)
        #expect(Self.ask("cluster.local.example.com", .a) == nil)
    }

    @Test func objectsFromTheAPIBecomeRecordsAndGoAway() throws {
        let records = ClusterDNSRecords(synced: true)
        let service = try JSONValue.parse(Array(#"""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"api","namespace":"prod"},
         "spec":{"type":"ClusterIP","clusterIP":"10.43.1.1","clusterIPs":["10.43.1.1"],
                 "ports":[{"name":"https","port":443,"protocol":"TCP","targetPort":8443}]}}
        """#.utf8))
        let slice = try JSONValue.parse(Array(#"""
        {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","addressType":"IPv4",
         "metadata":{"name":"api-x1","namespace":"prod","labels":{"kubernetes.io/service-name":"api"}},
         "endpoints":[{"addresses":["10.42.1.4"],"conditions":{"ready":true},"hostname":"api-0"}],
         "ports":[{"name":"https","port":8443,"protocol":"TCP"}]}
        """#.utf8))
        records.apply(serviceEvent: .added(service))
        records.apply(sliceEvent: .added(slice))
        let question = DNSQuestion(name: Self.name("api.prod.svc.cluster.local"), type: .a)
        #expect(Self.zone.answer(question, in: records.snapshot)?.answers.map(\.data) == [.a([10, 43, 1, 1])])
        #expect(Self.zone.answer(DNSQuestion(name: Self.name("4.1.42.10.in-addr.arpa"), type: .ptr), in: records.snapshot)?
            .answers.map(\.data) == [.ptr(Self.name("api-0.api.prod.svc.cluster.local"))])
        records.apply(sliceEvent: .deleted(slice))
        #expect(Self.zone.answer(DNSQuestion(name: Self.name("4.1.42.10.in-addr.arpa"), type: .ptr), in: records.snapshot) == nil)
        records.apply(serviceEvent: .deleted(service))
        #expect(Self.zone.answer(question, in: records.snapshot)?.rcode == .nameError)
    }

    @Test func informersFeedTheRecords() async throws {
        let client = FakeClient()
        try client.seed(.services, try JSONValue.parse(Array(#"""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
         "spec":{"clusterIP":"None","clusterIPs":["None"]}}
        """#.utf8)))
        let records = ClusterDNSRecords()
        let informers = SharedInformerFactory(client: client)
        await records.attach(to: informers)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await informers.run() }
            await informers.waitForSync()
            #expect(records.snapshot.service(namespace: "default", name: "web")?.isHeadless == true)
            try client.seed(.endpointSlices, try JSONValue.parse(Array(#"""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","addressType":"IPv4",
             "metadata":{"name":"web-1","namespace":"default","labels":{"kubernetes.io/service-name":"web"}},
             "endpoints":[{"addresses":["10.42.0.5"]}]}
            """#.utf8)))
            let question = DNSQuestion(name: Self.name("web.default.svc.cluster.local"), type: .a)
            var answer: [DNSRecordData] = []
            for _ in 0..<100 where answer.isEmpty {
                answer = Self.zone.answer(question, in: records.snapshot)?.answers.map(\.data) ?? []
                if answer.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(answer == [.a([10, 42, 0, 5])])
            group.cancelAll()
        }
    }
}
