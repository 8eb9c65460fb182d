import Testing

@testable import KyvernNetwork

@Suite("Proxy chain names")
struct ProxyChainNameTests {
    @Test func hashesArePinnedSoNamesSurviveRestartsAndUpgrades() {
        #expect(ChainNames.hash("default/web:httptcp") == ChainNames.hash("default/web:httptcp"))
        #expect(ChainNames.hash("default/web:httptcp") == "WFJ3MKNVPTYCHU7B")
    }

    @Test func namesDifferPerPortProtocolAndEndpointAndFitIptables() {
        let http = ProxyFixtures.port()
        let udp = ProxyFixtures.port(proto: .udp)
        let names = [ChainNames.service(http), ChainNames.service(udp), ChainNames.localService(http),
                     ChainNames.external(http), ProxyFixtures.sep(http, "10.42.0.11"), ProxyFixtures.sep(http, "10.42.0.12"),
                     ProxyFixtures.sep(udp, "10.42.0.11")]
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.count <= 28 })
        #expect(ChainNames.externalServices.count <= 28)
        let many = Set((0..<20_000).map { ChainNames.hash("ns/svc-\($0):http") })
        #expect(many.count == 20_000)
    }
}
