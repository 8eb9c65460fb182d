import Logging
import Testing

@testable import KyvernNetwork

@Suite("Cluster DNS query handling")
struct DNSQueryHandlerTests {
    static func handler(synced: Bool = true) -> DNSQueryHandler {
        let records = ClusterDNSRecords(synced: synced)
        records.update { $0 = DNSClusterZoneTests.state }
        return DNSQueryHandler(zone: DNSClusterZoneTests.zone, records: records,
                               forwarder: DNSForwarder(upstreams: [], timeout: .milliseconds(100), metrics: .disabled,
                                                       logger: Logger(label: "dns-test")),
                               metrics: .disabled, logger: Logger(label: "dns-test"))
    }


    static func respond(_ handler: DNSQueryHandler, _ query: DNSMessage, _ transport: DNSTransport = .udp) async throws -> DNSMessage {
        let bytes = try #require(await handler.respond(to: query.encoded(), transport: transport))
        return try DNSMessage(decoding: bytes)
    }

    @Test func beforeTheFirstListTheZoneAnswersServFail() async throws {
        let answer = try await Self.respond(Self.handler(synced: false), DNSCodecTests.query("web.default.svc.cluster.local", .a))
        #expect(answer.rcode == .serverFailure)
        #expect(answer.answers.isEmpty)
        let synced = try await Self.respond(Self.handler(), DNSCodecTests.query("web.default.svc.cluster.local", .a))
        #expect(synced.rcode == .noError && synced.answers.count == 1)
    }

    @Test func unknownEDNSVersionsGetBadVers() async throws {
        var query = DNSCodecTests.query("web.default.svc.cluster.local", .a, edns: 1232)
        query.edns?.version = 1
        let answer = try await Self.respond(Self.handler(), query)
        #expect(answer.rcode == .noError)
        #expect(answer.edns?.extendedRcode == 1)
        #expect(answer.answers.isEmpty)
    }

    @Test func otherClassesInTheZoneAreNotImplemented() async throws {
        var query = DNSCodecTests.query("web.default.svc.cluster.local", .a)
        query.questions[0].questionClass = 3 // CHAOS
        #expect(try await Self.respond(Self.handler(), query).rcode == .notImplemented)
    }

    @Test func withoutUpstreamsOtherNamesAreServFail() async throws {
        let answer = try await Self.respond(Self.handler(), DNSCodecTests.query("example.com", .a, id: 99))
        #expect(answer.rcode == .serverFailure)
        #expect(answer.id == 99)
        #expect(answer.questions.first?.name == DNSName("example.com"))
    }

    @Test func externalNameOutsideTheZoneKeepsItsCNAMEWhenUpstreamsFail() async throws {
        let answer = try await Self.respond(Self.handler(), DNSCodecTests.query("ext.default.svc.cluster.local", .a))
        #expect(answer.rcode == .noError)
        #expect(answer.answers.map(\.data) == [.cname(DNSName("example.com")!)])
    }
}
