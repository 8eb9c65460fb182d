import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import KyvernNetwork

/// The proxy on real loopback sockets: an upstream that speaks raw HTTP, a client that does too.
@Suite("Ingress proxy on loopback: forwarding, keep-alive, 404/503, upgrade passthrough")
struct IngressProxyTests {
    /// An upstream on 127.0.0.1: answers each request with its own head echoed in the body, or
    /// switches protocols and echoes bytes when asked to upgrade.
    static func upstream() async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func serve(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async throws {
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        try? await connection.executeThenClose { inbound, outbound in
                            var pending = ""
                            var upgraded = false
                            for try await buffer in inbound {
                                let text = String(buffer: buffer)
                                if upgraded {
                                    try await outbound.write(ByteBuffer(string: "echo:" + text))
                                    continue
                                }
                                pending += text
                                while let end = pending.range(of: "\r\n\r\n") {
                                    let head = String(pending[..<end.lowerBound])
                                    pending = String(pending[end.upperBound...])
                                    if head.lowercased().contains("upgrade: echo") {
                                        upgraded = true
                                        try await outbound.write(ByteBuffer(string:
                                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello"))
                                        if !pending.isEmpty { try await outbound.write(ByteBuffer(string: "echo:" + pending)) }
                                        pending = ""
                                        break
                                    }
                                    let body = head.replacingOccurrences(of: "\r\n", with: "|")
                                    try await outbound.write(ByteBuffer(string:
                                        "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Sends `request` on a new connection and reads until `until` appears in what came back
    /// (or the connection ends); each `then` is sent after its predecessor's answer.
    static func exchange(port: Int, _ steps: [(send: String, until: String)]) async throws -> [String] {
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await client.executeThenClose { inbound, outbound in
            var answers: [String] = []
            var iterator = inbound.makeAsyncIterator()
            for step in steps {
                try await outbound.write(ByteBuffer(string: step.send))
                var received = ""
                while !received.contains(step.until), let buffer = try await iterator.next() {
                    received += String(buffer: buffer)
                }
                answers.append(received)
            }
            return answers
        }
    }

    static func withProxy(metrics: IngressMetrics = .disabled,
                          _ body: (Int, Int, IngressSnapshotStore) async throws -> Void) async throws {
        let server = try await upstream()
        let upstreamPort = server.channel.localAddress!.port!
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serve(server) }
            let live = IngressBackend(namespace: "t", service: "live", port: .number(80))
            let empty = IngressBackend(namespace: "t", service: "empty", port: .number(80))
            var configuration = IngressConfiguration()
            configuration.routes.add(host: "live.test", rule: IngressPathRule(kind: .prefix, path: "/", backend: live))
            configuration.routes.add(host: "empty.test", rule: IngressPathRule(kind: .prefix, path: "/", backend: empty))
            // a dead endpoint first: the proxy moves on to the live one
            configuration.endpoints[live] = [ProxyEndpoint(ip: "127.0.0.1", port: 1), ProxyEndpoint(ip: "127.0.0.1", port: upstreamPort)]
            let store = IngressSnapshotStore(IngressSnapshot(configuration: configuration))
            let listener = try await IngressListener.bindHTTP(host: "127.0.0.1", port: 0, store: store, metrics: metrics,
                                                              group: MultiThreadedEventLoopGroup.singleton)
            defer { listener.close(promise: nil) }
            try await body(listener.localAddress!.port!, upstreamPort, store)
            group.cancelAll()
        }
    }

    @Test func forwardsWithHeadersAndKeepsTheClientConnection() async throws {
        try await Self.withProxy { port, _, _ in
            let request = "GET /x?y HTTP/1.1\r\nHost: live.test\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
            let answers = try await Self.exchange(port: port, [(request, "x-forwarded-port"), (request, "x-forwarded-port")])
            #expect(answers.count == 2)
            for answer in answers {
                #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
                #expect(answer.contains("GET /x?y HTTP/1.1"))
                #expect(answer.lowercased().contains("x-forwarded-for: 127.0.0.1"))
                #expect(answer.lowercased().contains("x-forwarded-proto: http"))
                #expect(answer.lowercased().contains("x-forwarded-host: live.test"))
                #expect(!answer.contains("6.6.6.6"))
            }
        }
    }

    @Test func answers404And503Itself() async throws {
        try await Self.withProxy { port, _, _ in
            let missing = try await Self.exchange(port: port, [("GET / HTTP/1.1\r\nHost: nobody.test\r\n\r\n", "</html>")])
            #expect(missing[0].hasPrefix("HTTP/1.1 404 Not Found"))
            let empty = try await Self.exchange(port: port, [("GET / HTTP/1.1\r\nHost: empty.test\r\n\r\n", "</html>")])
            #expect(empty[0].hasPrefix("HTTP/1.1 503 Service Unavailable"))
            #expect(empty[0].contains("503 Service Temporarily Unavailable"))
        }
    }

    @Test func passesUpgradedConnectionsThroughByteForByte() async throws {
        try await Self.withProxy { port, _, _ in
            let answers = try await Self.exchange(port: port, [
                ("GET /ws HTTP/1.1\r\nHost: live.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n", "hello"),
                ("ping", "echo:ping"),
                ("pong", "echo:pong"),
            ])
            #expect(answers[0].hasPrefix("HTTP/1.1 101 Switching Protocols"))
            #expect(answers[0].lowercased().contains("upgrade: echo"))
            #expect(answers[0].hasSuffix("hello"))
            #expect(answers[1] == "echo:ping")
            #expect(answers[2] == "echo:pong")
        }
    }

    @Test func aNewSnapshotAppliesToTheNextRequestOnAnOpenConnection() async throws {
        try await Self.withProxy { port, _, store in
            let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let answers = try await client.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                func ask(_ until: String) async throws -> String {
                    try await outbound.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: live.test\r\n\r\n"))
                    var received = ""
                    while !received.contains(until), let buffer = try await iterator.next() { received += String(buffer: buffer) }
                    return received
                }
                let first = try await ask("x-forwarded-port")
                var changed = store.current
                changed.configuration.endpoints = [:]   // every endpoint gone: the same connection now gets 503
                store.replace(changed)
                let second = try await ask("</html>")
                return [first, second]
            }
            #expect(answers[0].hasPrefix("HTTP/1.1 200 OK"))
            #expect(answers[1].hasPrefix("HTTP/1.1 503"))
        }
    }
}
