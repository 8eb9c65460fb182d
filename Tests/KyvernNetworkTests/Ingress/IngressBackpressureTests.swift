import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import KyvernNetwork

/// A large body through the proxy with one side not reading: the proxy must stop reading from the
/// other side instead of holding the body in memory, and the whole body must arrive afterwards.
@Suite("Ingress proxy backpressure: a slow reader holds back a streamed body")
struct IngressBackpressureTests {
    /// Far more than the sockets' buffers on both hops can hold (a few MB each on loopback).
    static let bodySize = 48 << 20
    static let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)

    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Event loops of their own: streaming 48 MB keeps loops busy, and other suites' timing checks
    /// run on the shared singleton group.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// Bytes one side managed to hand to its socket so far.
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func add(_ count: Int) { value.add(count, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    static func listen(group: any EventLoopGroup = Self.group) async throws -> NIOAsyncChannel<Connection, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: channel) }
            }
    }

    static func dial(_ port: Int, group: any EventLoopGroup = Self.group) async throws -> Connection {
        try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 64 << 10)
            .channelOption(.socketOption(.so_sndbuf), value: 64 << 10)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: channel) }
            }
    }

    /// Writes `bodySize` bytes one chunk at a time, counting what reached the socket.
    static func writeBody(_ channel: any Channel, counter: Counter) async throws {
        var left = bodySize
        while left > 0 {
            var piece = chunk
            if left < piece.readableBytes { piece = piece.getSlice(at: 0, length: left)! }
            try await channel.writeAndFlush(piece).get()   // done once in the socket
            left -= piece.readableBytes
            counter.add(piece.readableBytes)
        }
    }

    /// Reads until the end of a request head (what follows it in the same read is dropped).
    static func readRequestHead(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async throws {
        var request = ""
        for try await buffer in inbound {
            request += String(buffer: buffer)
            if request.contains("\r\n\r\n") { return }
        }
    }

    /// Takes the first connection only, reads its request head, and lets `answer` respond.
    static func answerFirst(_ server: NIOAsyncChannel<Connection, Never>,
                            _ answer: (NIOAsyncChannelOutboundWriter<ByteBuffer>, any Channel) async throws -> Void) async throws {
        try await server.executeThenClose { connections in
            for try await connection in connections {
                try await connection.executeThenClose { inbound, outbound in
                    try await readRequestHead(inbound)
                    try await answer(outbound, connection.channel)
                }
                return
            }
        }
    }

    /// The proxy on loopback with every request going to `upstreamPort`.
    static func withProxy(to upstreamPort: Int, _ body: (Int) async throws -> Void) async throws {
        let backend = IngressBackend(namespace: "t", service: "big", port: .number(80))
        var configuration = IngressConfiguration()
        configuration.routes.add(host: nil, rule: IngressPathRule(kind: .prefix, path: "/", backend: backend))
        configuration.endpoints[backend] = [ProxyEndpoint(ip: "127.0.0.1", port: upstreamPort)]
        let store = IngressSnapshotStore(IngressSnapshot(configuration: configuration))
        let listener = try await IngressListener.bindHTTP(host: "127.0.0.1", port: 0, store: store, metrics: .disabled,
                                                          group: Self.group)
        defer { listener.close(promise: nil) }
        try await body(listener.localAddress!.port!)
    }

    @Test func aSlowClientHoldsBackTheEndpointsResponse() async throws {
        let server = try await Self.listen()
        let written = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Self.answerFirst(server) { outbound, channel in
                    try await outbound.write(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(Self.bodySize)\r\n\r\n"))
                    try await Self.writeBody(channel, counter: written)
                }
            }
            try await Self.withProxy(to: server.channel.localAddress!.port!) { port in
                let client = try await Self.dial(port)
                try await client.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: "GET /big HTTP/1.1\r\nHost: big.test\r\n\r\n"))
                    var iterator = inbound.makeAsyncIterator()
                    var received = 0
                    while received < 1 << 20, let buffer = try await iterator.next() { received += buffer.readableBytes }
                    try await Task.sleep(for: .seconds(1))   // the client stops reading
                    let whilePaused = written.count
                    #expect(whilePaused < Self.bodySize / 2, "the endpoint wrote \(whilePaused) bytes to a proxy whose client read 1 MB")
                    while let buffer = try await iterator.next() {
                        received += buffer.readableBytes
                        if received >= Self.bodySize { break }
                    }
                    #expect(received > Self.bodySize)   // the whole body and the head
                }
            }
            // The endpoint counts a chunk once its write has completed, which can be just after the
            // client has read it: give the count a moment to catch up.
            let deadline = ContinuousClock.now + .seconds(10)
            while written.count < Self.bodySize, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(written.count == Self.bodySize)
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aSlowEndpointHoldsBackTheClientsUpload() async throws {
        let server = try await Self.listen()
        let sent = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        try await connection.executeThenClose { inbound, outbound in
                            try await Task.sleep(for: .seconds(1))   // the endpoint does not read yet
                            var received = 0
                            var headSkipped = false
                            var text = ""
                            for try await buffer in inbound {
                                if headSkipped {
                                    received += buffer.readableBytes
                                } else {
                                    text += String(buffer: buffer)
                                    if let end = text.range(of: "\r\n\r\n") {
                                        headSkipped = true
                                        received += text.utf8.distance(from: end.upperBound.samePosition(in: text.utf8)!, to: text.utf8.endIndex)
                                    }
                                }
                                if received >= Self.bodySize { break }
                            }
                            let answer = "received \(received)"
                            try await outbound.write(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n\(answer)"))
                        }
                        return
                    }
                }
            }
            try await Self.withProxy(to: server.channel.localAddress!.port!) { port in
                let client = try await Self.dial(port)
                try await client.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string:
                        "POST /up HTTP/1.1\r\nHost: big.test\r\nContent-Length: \(Self.bodySize)\r\n\r\n"))
                    try await withThrowingTaskGroup(of: Void.self) { upload in
                        upload.addTask { try await Self.writeBody(client.channel, counter: sent) }
                        try await Task.sleep(for: .milliseconds(800))
                        let whilePaused = sent.count
                        #expect(whilePaused < Self.bodySize / 2, "the client wrote \(whilePaused) bytes to a proxy whose endpoint read none")
                        try await upload.waitForAll()
                    }
                    var answer = ""
                    for try await buffer in inbound {
                        answer += String(buffer: buffer)
                        if answer.contains("received ") && answer.hasSuffix("\(Self.bodySize)") { break }
                    }
                    #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
                    #expect(answer.hasSuffix("received \(Self.bodySize)"))
                }
            }
            group.cancelAll()
        }
    }
}
