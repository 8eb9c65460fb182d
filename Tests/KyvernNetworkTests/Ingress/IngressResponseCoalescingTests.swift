import NIOCore
import NIOPosix
import Testing

@testable import KyvernNetwork

/// A response of known length that the endpoint writes in pieces reaches the client in one write;
/// a response of unknown length (streamed) is passed on piece by piece, as it comes.
@Suite("Ingress proxy: response pieces coalesced when the length is known")
struct IngressResponseCoalescingTests {
    /// An endpoint that answers one request with `head`, then after 150 ms with `body`, then closes.
    static func endpoint(head: String, body: String) async throws
        -> (NIOAsyncChannel<IngressBackpressureTests.Connection, Never>, @Sendable () async throws -> Void) {
        let server = try await IngressBackpressureTests.listen()
        let serve: @Sendable () async throws -> Void = {
            try await IngressBackpressureTests.answerFirst(server) { outbound, _ in
                try await outbound.write(ByteBuffer(string: head))
                try await Task.sleep(for: .milliseconds(150))
                try await outbound.write(ByteBuffer(string: body))
            }
        }
        return (server, serve)
    }

    /// What the client's reads gave, one string per read, until `body` has arrived.
    static func reads(head: String, body: String) async throws -> [String] {
        let (server, serve) = try await endpoint(head: head, body: body)
        return try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask { try await serve(); return [] }
            var result: [String] = []
            try await IngressBackpressureTests.withProxy(to: server.channel.localAddress!.port!) { port in
                let client = try await IngressBackpressureTests.dial(port)
                try await client.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: pieces.test\r\n\r\n"))
                    var received = ""
                    for try await buffer in inbound {
                        result.append(String(buffer: buffer))
                        received += String(buffer: buffer)
                        if received.contains(body) { break }   // a streamed body comes chunked
                    }
                }
            }
            try await group.waitForAll()
            return result
        }
    }

    @Test func aHeadAndABodyWrittenApartArriveInOneRead() async throws {
        let reads = try await Self.reads(head: "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", body: "payload")
        #expect(reads.count == 1, "\(reads)")
        #expect(reads.first?.hasPrefix("HTTP/1.1 200 OK") == true)
        #expect(reads.first?.hasSuffix("\r\n\r\npayload") == true)
    }

    @Test func aResponseOfUnknownLengthIsPassedOnAsItComes() async throws {
        let reads = try await Self.reads(head: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", body: "streamed")
        #expect(reads.count >= 2, "\(reads)")
        #expect(reads.first?.contains("streamed") == false)
        #expect(reads.joined().contains("streamed"))
    }
}
