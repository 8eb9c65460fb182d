import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import KyvernNetwork

/// Response heads with bare LF line ends (as busybox httpd's CGI answers write them) reach the
/// decoder as CRLF; bodies are left alone.
@Suite("Ingress: response heads with bare LF")
struct IngressResponseHeadNormalizerTests {
    /// Feeds `pieces` through normaliser and decoder, then end of input; returns the bytes the
    /// decoder was given and the parts it produced.
    static func decode(_ pieces: [String], requests: Int = 1) throws
        -> (bytes: String, parts: [HTTPClientResponsePart]) {
        let normalizer = IngressResponseHeadNormalizer()
        let recorder = ByteRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(normalizer)
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)))
        // the decoder wants to know what the request was (a response to HEAD has no body)
        try channel.pipeline.syncOperations.addHandler(HTTPRequestEncoder(), position: .first)
        for _ in 0..<requests {
            try channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")))
            try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        }
        var parts: [HTTPClientResponsePart] = []
        for piece in pieces {
            try channel.writeInbound(ByteBuffer(string: piece))
            while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
                if case .end = part { normalizer.expectHead() }
                parts.append(part)
            }
        }
        channel.pipeline.fireChannelInactive()
        while let part = try channel.readInbound(as: HTTPClientResponsePart.self) { parts.append(part) }
        _ = try? channel.finish()
        return (recorder.text, parts)
    }

    final class ByteRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        var text = ""
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            text += String(buffer: unwrapInboundIn(data))
            context.fireChannelRead(data)
        }
    }

    static func head(_ parts: [HTTPClientResponsePart]) -> HTTPResponseHead? {
        for part in parts { if case .head(let head) = part, head.status.code >= 200 { return head } }
        return nil
    }

    static func body(_ parts: [HTTPClientResponsePart]) -> String {
        parts.reduce(into: "") { text, part in if case .body(let buffer) = part { text += String(buffer: buffer) } }
    }

    @Test func aCGIHeadWithBareLineFeedsIsDecoded() throws {
        let (bytes, parts) = try Self.decode(["HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\n5\n"])
        #expect(bytes == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n5\n")   // the body's LF stays
        let head = try #require(Self.head(parts))
        #expect(head.status == .ok)
        #expect(head.headers["content-type"] == ["text/plain"])
        #expect(Self.body(parts) == "5\n")
        #expect(parts.contains { if case .end = $0 { true } else { false } })
    }

    @Test func aCRLFHeadPassesUnchanged() throws {
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na\nb"
        let (bytes, parts) = try Self.decode([response])
        #expect(bytes == response)
        #expect(Self.body(parts) == "a\nb")
    }

    @Test func lineEndsSplitAcrossReadsAndTwoResponsesInTurn() throws {
        // CR at the end of one read and its LF at the start of the next is one CRLF, not a bare LF
        let (bytes, parts) = try Self.decode([
            "HTTP/1.1 200 OK\r", "\nContent-Length: 2\n", "\nhi",
            "HTTP/1.1 404 Not Found\nContent-Length: 1\n\n\n",
        ], requests: 2)
        #expect(bytes == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\n\n")
        let heads = parts.compactMap { if case .head(let head) = $0 { head.status.code } else { nil } }
        #expect(heads == [200, 404])
    }

    @Test func anInterimHeadIsFollowedByTheFinalOne() throws {
        let (bytes, parts) = try Self.decode(["HTTP/1.1 100 Continue\n\nHTTP/1.1 201 Created\nContent-Length: 0\n\n"])
        #expect(bytes == "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        #expect(Self.head(parts)?.status == .created)
    }
}
