import Testing

@testable import KyvernNetwork

@Suite("DNS wire codec")
struct DNSCodecTests {
    static let name = DNSName("web.default.svc.cluster.local")!

    static func query(_ name: String, _ type: DNSRecordType, id: UInt16 = 0x1234, edns: UInt16? = nil) -> DNSMessage {
        var query = DNSMessage(id: id)
        query.recursionDesired = true
        query.questions = [DNSQuestion(name: DNSName(name)!, type: type)]
        query.edns = edns.map { EDNS(udpPayloadSize: $0) }
        return query
    }

    @Test func everyRecordKindSurvivesARoundTrip() throws {
        var message = DNSMessage(responseTo: Self.query("web.default.svc.cluster.local", .any, edns: 4096))
        message.authoritative = true
        let zone = DNSName("cluster.local")!
        message.answers = [
            DNSRecord(name: Self.name, ttl: 5, data: .a([10, 43, 0, 20])),
            DNSRecord(name: Self.name, ttl: 5, data: .aaaa([0xfd, 0] + Array(repeating: 0, count: 13) + [5])),
            DNSRecord(name: Self.name, ttl: 5, data: .srv(.init(priority: 0, weight: 100, port: 80, target: Self.name))),
            DNSRecord(name: DNSName("20.0.43.10.in-addr.arpa")!, ttl: 5, data: .ptr(Self.name)),
            DNSRecord(name: DNSName("ext.default.svc.cluster.local")!, ttl: 5, data: .cname(DNSName("example.com")!)),
            DNSRecord(name: DNSName("dns-version.cluster.local")!, ttl: 5, data: .txt([Array("1.1.0".utf8), []])),
            DNSRecord(name: DNSName("x")!, ttl: 7, data: .other(DNSRecordType(rawValue: 99), [1, 2, 3])),
        ]
        message.authority = [
            DNSRecord(name: zone, ttl: 5, data: .ns(DNSName("ns.dns.cluster.local")!)),
            DNSRecord(name: zone, ttl: 5, data: .soa(.init(mname: DNSName("ns.dns.cluster.local")!,
                                                           rname: DNSName("hostmaster.cluster.local")!, serial: 42,
                                                           refresh: 7200, retry: 1800, expire: 86400, minimum: 5))),
        ]
        message.additional = [DNSRecord(name: Self.name, ttl: 5, data: .a([10, 43, 0, 20]))]
        let decoded = try DNSMessage(decoding: message.encoded())
        #expect(decoded == message)
        #expect(decoded.edns?.udpPayloadSize == EDNS.advertisedPayloadSize)
    }

    @Test func namesAreCompressedAgainstTheQuestion() throws {
        var message = DNSMessage(responseTo: Self.query("web.default.svc.cluster.local", .a))
        message.answers = [DNSRecord(name: Self.name, ttl: 5, data: .a([10, 43, 0, 20]))]
        message.authority = [DNSRecord(name: DNSName("cluster.local")!, ttl: 5, data: .ns(DNSName("ns.dns.cluster.local")!))]
        let bytes = message.encoded()
        // Header 12 + question name 31 + 4; the answer's owner is a pointer to offset 12.
        #expect(Array(bytes[47..<49]) == [0xC0, 12])
        // "cluster.local" points into the question (offset 12 + 1+3 + 1+7 + 1+3 = 28).
        #expect(bytes.count == 47 + (2 + 10 + 4) + (2 + 10 + (1 + 2 + 1 + 3 + 2)))
        #expect(try DNSMessage(decoding: bytes) == message)
    }

    @Test func namesMatchCaseInsensitivelyAndPrintEscaped() {
        #expect(DNSName("Web.DEFAULT.svc.Cluster.Local.") == Self.name)
        #expect(Set([DNSName("A.b")!, DNSName("a.B")!]).count == 1)
        #expect(DNSName(labels: [[0x61, 0x2E, 0x01]]).description == "a\\.\\001.")
        #expect(DNSName(String(repeating: "a", count: 64)) == nil)
        #expect(DNSName("a..b") == nil)
    }

    @Test func pointerLoopsAndForwardPointersAreRefused() {
        // Header with one question whose name is a pointer to itself.
        let selfLoop: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: selfLoop) }
        let forward: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0, 1, 0, 1]
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: forward) }
        // Two labels pointing at each other: 12 → "a" + pointer to 16, 16 → "b" + pointer to 12.
        let mutual: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xC0, 16, 1, 0x62, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: mutual) }
    }

    @Test func malformedMessagesThrowInsteadOfCrashing() {
        let good = Self.query("web.default.svc.cluster.local", .a).encoded()
        for cut in 0..<good.count {
            #expect(throws: DNSWireError.self) { try DNSMessage(decoding: Array(good.prefix(cut))) }
        }
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: good + [0]) }
        var hugeCounts = good
        hugeCounts[6] = 0xFF
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: hugeCounts) }
        var badLabel = good
        badLabel[12] = 0x45 // label type 01: reserved
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: badLabel) }
        // A name of 300 bytes made of 63-byte labels.
        let label: [UInt8] = [63] + Array(repeating: 0x61, count: 63)
        let longName: [UInt8] = Array((0..<5).map { _ in label }.joined()) + [0]
        let long: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] + longName + [0, 1, 0, 1]
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: long) }
        // An A record whose data is 3 bytes.
        var shortA = DNSMessage(id: 1)
        shortA.answers = [DNSRecord(name: Self.name, ttl: 5, data: .other(.a, [1, 2, 3]))]
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: shortA.encoded()) }
    }

    @Test func udpAnswersOverTheLimitAreTruncatedWholeRecordsWithTC() throws {
        var message = DNSMessage(responseTo: Self.query("db.default.svc.cluster.local", .a))
        message.answers = (0..<60).map { DNSRecord(name: DNSName("db.default.svc.cluster.local")!, ttl: 5, data: .a([10, 42, 0, UInt8($0)])) }
        let full = message.encoded()
        #expect(full.count > 512)
        let cut = message.encoded(maxSize: 512)
        #expect(cut.count <= 512)
        let decoded = try DNSMessage(decoding: cut)
        #expect(decoded.truncated)
        #expect(decoded.answers.count > 0 && decoded.answers.count < 60)
        #expect(decoded.answers == Array(message.answers.prefix(decoded.answers.count)))
        #expect(try DNSMessage(decoding: full).truncated == false)
    }

    @Test func droppingOnlyAdditionalRecordsDoesNotSetTC() throws {
        var message = DNSMessage(responseTo: Self.query("db.default.svc.cluster.local", .srv, edns: 512))
        message.answers = [DNSRecord(name: Self.name, ttl: 5, data: .srv(.init(priority: 0, weight: 100, port: 80, target: Self.name)))]
        message.additional = (0..<60).map { DNSRecord(name: Self.name, ttl: 5, data: .a([10, 42, 0, UInt8($0)])) }
        let decoded = try DNSMessage(decoding: message.encoded(maxSize: 512))
        #expect(!decoded.truncated)
        #expect(decoded.answers.count == 1)
        #expect(decoded.additional.count < 60)
        #expect(decoded.edns != nil)
    }

    @Test func ednsSizeIsReadFromTheOPTRecord() throws {
        let query = try DNSMessage(decoding: Self.query("web.default.svc.cluster.local", .a, edns: 4096).encoded())
        #expect(query.edns?.udpPayloadSize == 4096)
        #expect(query.maxUDPResponseSize == 4096)
        #expect(try DNSMessage(decoding: Self.query("x", .a, edns: 100).encoded()).maxUDPResponseSize == 512)
        #expect(try DNSMessage(decoding: Self.query("x", .a).encoded()).maxUDPResponseSize == 512)
    }

    @Test func reverseAndDashedAddressesParse() {
        #expect(IPAddressText.undashed("10-42-0-5") == [10, 42, 0, 5])
        #expect(IPAddressText.undashed("fd00--5") == [0xfd, 0] + Array(repeating: 0, count: 13) + [5])
        #expect(IPAddressText.undashed("10-42-0") == nil)
        #expect(IPAddressText.undashed("not-an-ip") == nil)
        #expect(IPAddressText.dashed([10, 42, 0, 5]) == "10-42-0-5")
        #expect(IPAddressText.fromReverse(["5", "0", "42", "10"], ipv6: false) == [10, 42, 0, 5])
        #expect(IPAddressText.fromReverse(["05", "0", "42", "10"], ipv6: false) == nil)
        #expect(IPAddressText.fromReverse(["0", "42", "10"], ipv6: false) == nil)
    }

    @Test func recordTypesAreNamedByMnemonicOrNumber() {
        let known: [(DNSRecordType, String)] = [
            (.a, "A"), (.ns, "NS"), (.cname, "CNAME"), (.soa, "SOA"), (.ptr, "PTR"), (.mx, "MX"), (.txt, "TXT"),
            (.aaaa, "AAAA"), (.srv, "SRV"), (.opt, "OPT"), (DNSRecordType(rawValue: 65), "HTTPS"), (.any, "ANY"),
        ]
        #expect(known.map(\.0.rawValue) == [1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 65, 255])
        for (type, name) in known {
            #expect(type.description == name)
            #expect(type.metricLabel == name)
        }
        #expect(DNSRecordType(rawValue: 99).description == "TYPE99")
        #expect(DNSRecordType(rawValue: 99).metricLabel == "other")
    }
}
