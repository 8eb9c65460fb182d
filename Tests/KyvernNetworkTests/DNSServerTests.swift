import Logging
import NIOCore
import NIOPosix
import Testing

@testable import KyvernNetwork

@Suite("Cluster DNS over UDP and TCP")
struct DNSServerTests {
    static let logger = Logger(label: "dns-test")

    /// A server for `zone` holding `state`, UDP and TCP on one loopback port.
    struct Running {
        var address: SocketAddress
    }

    static func withServer<T: Sendable>(zone: String = "cluster.local", state: ClusterDNSState = DNSClusterZoneTests.state,
                                        upstreams: [SocketAddress] = [], upstreamTimeout: Duration = .seconds(2),
                                        idleTimeout: Duration = .seconds(10),
                                        _ body: @escaping @Sendable (SocketAddress) async throws -> T) async throws -> T {
        let records = ClusterDNSRecords(synced: true)
        records.update { $0 = state }
        let handler = DNSQueryHandler(
            zone: ClusterZone(domain: DNSName(zone)!), records: records,
            forwarder: DNSForwarder(upstreams: upstreams, timeout: upstreamTimeout, metrics: .disabled, logger: logger),
            metrics: .disabled, logger: logger)
        // A free UDP port's TCP twin may be taken by another test running in parallel: try another.
        var attempt = 0
        var bound: (DNSUDPListener, DNSTCPListener, SocketAddress)?
        while bound == nil {
            attempt += 1
            let udp = try await DNSUDPListener.bind(host: "127.0.0.1", port: 0)
            let address = try #require(udp.localAddress)
            do {
                let tcp = try await DNSTCPListener.bind(host: "127.0.0.1", port: address.port!, idleTimeout: idleTimeout)
                bound = (udp, tcp, address)
            } catch {
                await udp.close()
                if attempt >= 10 { throw error }
            }
        }
        let (udp, tcp, address) = bound!
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await udp.run(handler); return nil }
            group.addTask { try await tcp.run(handler); return nil }
            defer { group.cancelAll() }
            return try await body(address)
        }
    }

    static func query(_ name: String, _ type: DNSRecordType, id: UInt16 = 7) -> [UInt8] {
        DNSCodecTests.query(name, type, id: id).encoded()
    }

    /// Answers are awaited generously: the whole unit suite runs in parallel on 2 cores.
    static func udp(_ bytes: [UInt8], to address: SocketAddress, timeout: Duration = .seconds(10)) async throws -> DNSMessage {
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let answer = try await withDNSTimeout(timeout) {
            try await DNSForwarder.udpExchange(bytes, id: id, upstream: address, group: MultiThreadedEventLoopGroup.singleton)
        }
        return try DNSMessage(decoding: answer)
    }

    static func tcp(_ bytes: [UInt8], to address: SocketAddress) async throws -> DNSMessage {
        let answer = try await withDNSTimeout(.seconds(3)) {
            try await DNSForwarder.tcpExchange(bytes, upstream: address, group: MultiThreadedEventLoopGroup.singleton)
        }
        return try DNSMessage(decoding: answer)
    }

    @Test func udpAndTcpAnswerTheClusterZone() async throws {
        try await Self.withServer { address in
            for answer in [try await Self.udp(Self.query("web.default.svc.cluster.local", .a), to: address),
                           try await Self.tcp(Self.query("web.default.svc.cluster.local", .a), to: address)] {
                #expect(answer.id == 7)
                #expect(answer.isResponse && answer.authoritative && answer.recursionAvailable && answer.recursionDesired)
                #expect(answer.rcode == .noError)
                #expect(answer.answers.map(\.data) == [.a([10, 43, 0, 20])])
            }
            let missing = try await Self.udp(Self.query("nope.default.svc.cluster.local", .a), to: address)
            #expect(missing.rcode == .nameError)
            #expect(missing.authority.first?.type == .soa)
        }
    }

    @Test func malformedQueriesGetFormErrAndNonQueriesNoAnswer() async throws {
        try await Self.withServer { address in
            // A header claiming one question, then garbage.
            let garbage: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3F, 1, 2]
            let answer = try await Self.udp(garbage, to: address)
            #expect(answer.id == 0xABCD)
            #expect(answer.rcode == .formatError)
            #expect(answer.recursionDesired)
            // Two questions are refused as FORMERR as well.
            var two = DNSCodecTests.query("a.cluster.local", .a, id: 9)
            two.questions.append(DNSQuestion(name: DNSName("b.cluster.local")!, type: .a))
            #expect(try await Self.udp(two.encoded(), to: address).rcode == .formatError)
            // An inverse query (opcode 1) is not implemented.
            var inverse = DNSCodecTests.query("a.cluster.local", .a, id: 10)
            inverse.opcode = 1
            #expect(try await Self.udp(inverse.encoded(), to: address).rcode == .notImplemented)
            // Too short for a header, or itself a response: silence.
            await #expect(throws: DNSTimeoutError.self) {
                try await Self.udp([0, 11, 0, 0, 0], to: address, timeout: .milliseconds(300))
            }
            var response = DNSCodecTests.query("a.cluster.local", .a, id: 12)
            response.isResponse = true
            await #expect(throws: DNSTimeoutError.self) {
                try await Self.udp(response.encoded(), to: address, timeout: .milliseconds(300))
            }
            // The server still answers afterwards.
            #expect(try await Self.udp(Self.query("web.default.svc.cluster.local", .a), to: address).answers.count == 1)
        }
    }

    @Test func largeAnswersAreTruncatedOverUDPUnlessEDNSAllowsThem() async throws {
        var state = ClusterDNSState()
        state.upsert(ClusterServiceEntry(namespace: "default", name: "big", isHeadless: true))
        state.upsert(ClusterEndpointSliceEntry(namespace: "default", name: "big-1", serviceName: "big",
                                               endpoints: (1...60).map { .init(addresses: [[10, 42, 1, UInt8($0)]]) }))
        try await Self.withServer(state: state) { address in
            let plain = try await Self.udp(Self.query("big.default.svc.cluster.local", .a), to: address)
            #expect(plain.truncated)
            #expect(plain.answers.count < 60)
            let edns = try await Self.udp(DNSCodecTests.query("big.default.svc.cluster.local", .a, edns: 4096).encoded(), to: address)
            #expect(!edns.truncated)
            #expect(edns.answers.count == 60)
            #expect(edns.edns?.udpPayloadSize == EDNS.advertisedPayloadSize)
            let tcp = try await Self.tcp(Self.query("big.default.svc.cluster.local", .a), to: address)
            #expect(!tcp.truncated && tcp.answers.count == 60)
        }
    }

    @Test func tcpCarriesSeveralQueriesPerConnectionAndClosesWhenIdle() async throws {
        // Long enough that a loaded machine still sends both queries before the idle close.
        try await Self.withServer(idleTimeout: .seconds(2)) { address in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            var closedByServer = false
            do {
              try await channel.executeThenClose { inbound, outbound in
                // Two queries in one write, the second split from its length prefix by nothing.
                var both = DNSTCPFrameDecoder.frame(Self.query("web.default.svc.cluster.local", .a, id: 1))
                var second = DNSTCPFrameDecoder.frame(Self.query("db.default.svc.cluster.local", .a, id: 2))
                both.writeBuffer(&second)
                try await outbound.write(both)
                var iterator = inbound.makeAsyncIterator()
                let first = try DNSMessage(decoding: Array(try #require(try await iterator.next()).readableBytesView))
                let next = try DNSMessage(decoding: Array(try #require(try await iterator.next()).readableBytesView))
                #expect(first.id == 1 && first.answers.count == 1)
                #expect(next.id == 2 && next.answers.count == 2)
                // Idle for longer than the timeout: the server closes the connection.
                let start = ContinuousClock.now
                #expect(try await iterator.next() == nil)
                #expect(ContinuousClock.now - start < .seconds(8))
                closedByServer = true
              }
            } catch ChannelError.ioOnClosedChannel {
                // executeThenClose's own close after the server closed: expected.
            }
            #expect(closedByServer)
        }
    }

    @Test func otherNamesAreForwardedAndTruncatedAnswersRetriedOverTCP() async throws {
        // The upstream: another instance serving "upstream.test" with a large headless Service.
        var upstreamState = ClusterDNSState()
        upstreamState.upsert(ClusterServiceEntry(namespace: "default", name: "web", clusterIPs: [[192, 0, 2, 1]]))
        upstreamState.upsert(ClusterServiceEntry(namespace: "default", name: "big", isHeadless: true))
        upstreamState.upsert(ClusterEndpointSliceEntry(namespace: "default", name: "big-1", serviceName: "big",
                                                       endpoints: (1...60).map { .init(addresses: [[192, 0, 2, UInt8($0)]]) }))
        try await Self.withServer(zone: "upstream.test", state: upstreamState) { upstream in
            // Generous timeouts: the whole unit suite runs in parallel on 2 cores, and a forward that
            // misses its deadline answers SERVFAIL instead of what this test checks.
            try await Self.withServer(upstreams: [upstream], upstreamTimeout: .seconds(8)) { address in
                let forwarded = try await Self.udp(Self.query("web.default.svc.upstream.test", .a, id: 77), to: address,
                                                   timeout: .seconds(20))
                #expect(forwarded.id == 77)
                #expect(forwarded.answers.map(\.data) == [.a([192, 0, 2, 1])])
                // Truncated upstream over UDP → retried over TCP; still too big for this client's 512 bytes.
                var udp = try await Self.udp(Self.query("big.default.svc.upstream.test", .a), to: address, timeout: .seconds(20))
                // A forward that missed its deadline under the parallel suite's load answers SERVFAIL
                // (right for a slow upstream); the client asks again, as a stub resolver does.
                for _ in 0..<2 where udp.rcode == .serverFailure {
                    udp = try await Self.udp(Self.query("big.default.svc.upstream.test", .a), to: address, timeout: .seconds(20))
                }
                #expect(udp.truncated && udp.answers.isEmpty && udp.questions.count == 1,
                        "rcode \(udp.rcode), truncated \(udp.truncated), \(udp.answers.count) answers")
                let tcp = try await Self.tcp(Self.query("big.default.svc.upstream.test", .a), to: address)
                #expect(!tcp.truncated && tcp.answers.count == 60)
                let edns = try await Self.udp(DNSCodecTests.query("big.default.svc.upstream.test", .a, id: 5, edns: 4096).encoded(),
                                              to: address, timeout: .seconds(20))
                #expect(!edns.truncated && edns.answers.count == 60 && edns.id == 5)
                // The upstream's NXDOMAIN is passed on.
                #expect(try await Self.udp(Self.query("nope.default.svc.upstream.test", .a), to: address,
                                           timeout: .seconds(20)).rcode == .nameError)
            }
        }
    }

    @Test func failingUpstreamsGiveServFail() async throws {
        let unused = try await DNSUDPListener.bind(host: "127.0.0.1", port: 0)
        let dead = try #require(unused.localAddress)
        try await unused.channel.channel.close()
        try await Self.withServer(upstreams: [dead], upstreamTimeout: .milliseconds(200)) { address in
            let answer = try await Self.udp(Self.query("example.com", .a), to: address)
            #expect(answer.rcode == .serverFailure)
            #expect(answer.id == 7)
        }
    }

    @Test func listenersBindBeforeTheirAddressExists() async throws {
        // The node's bridge address appears only with the first pod; binding must not wait for it.
        let udp = try await DNSUDPListener.bind(host: "10.254.254.254", port: 0)
        let tcp = try await DNSTCPListener.bind(host: "10.254.254.254", port: 0)
        #expect(udp.localAddress?.ipAddress == "10.254.254.254")
        #expect(tcp.localAddress?.ipAddress == "10.254.254.254")
        try await udp.channel.channel.close()
        try await tcp.channel.channel.close()
    }

    @Test func theInFlightLimitAdmitsUpToItsSize() {
        let limit = DNSInFlightLimit(2)
        #expect(limit.enter() && limit.enter())
        #expect(!limit.enter())
        limit.leave()
        #expect(limit.enter())
    }

    @Test func theServerNeverForwardsToItself() throws {
        let listener = try SocketAddress(ipAddress: "10.42.0.1", port: 53)
        let wildcard = try SocketAddress(ipAddress: "0.0.0.0", port: 53)
        let upstreams = [try SocketAddress(ipAddress: "10.42.0.1", port: 53), try SocketAddress(ipAddress: "127.0.0.53", port: 53),
                         try SocketAddress(ipAddress: "1.1.1.1", port: 53), try SocketAddress(ipAddress: "10.42.0.1", port: 5353)]
        #expect(DNSUpstream.excludingSelf(upstreams, listeners: [listener]) == Array(upstreams[1...]))
        #expect(DNSUpstream.excludingSelf(upstreams, listeners: [wildcard]) == [upstreams[0], upstreams[2], upstreams[3]])
    }

    @Test func upstreamsComeFromResolvConfAndFlags() {
        let conf = "# generated\nsearch example.com\nnameserver 10.0.0.2\nnameserver\tfe80::1%eth0\noptions ndots:2\nnameserver 1.1.1.1\n"
        #expect(DNSUpstream.nameservers(resolvConf: conf) == ["10.0.0.2", "fe80::1", "1.1.1.1"])
        #expect(DNSUpstream.parse("1.1.1.1")?.port == 53)
        #expect(DNSUpstream.parse("127.0.0.1:5353")?.port == 5353)
        #expect(DNSUpstream.parse("[::1]:5353")?.port == 5353)
        #expect(DNSUpstream.parse("::1")?.port == 53)
        #expect(DNSUpstream.parse("example.com") == nil)
        #expect(DNSUpstream.parse("1.1.1.1:0") == nil)
    }
}
