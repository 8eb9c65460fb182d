import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import KyvernAPIServer

/// kubectl's SPDY fallback after a refused WebSocket exec must reach the routes as plain HTTP.
@Suite struct UnknownUpgradeFilterTests {
    @Test func anUnknownUpgradeBecomesAPlainRequest() throws {
        var headers = HTTPHeaders([("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"), ("X-Stream-Protocol-Version", "v4.channel.k8s.io")])
        UnknownUpgradeFilter.dropUnknownUpgrade(&headers, known: ["websocket"])
        #expect(headers["upgrade"].isEmpty && headers["connection"].isEmpty)
        #expect(headers["x-stream-protocol-version"] == ["v4.channel.k8s.io"])
    }

    @Test func otherConnectionTokensStay() {
        var headers = HTTPHeaders([("Connection", "keep-alive, Upgrade"), ("Upgrade", "h2c")])
        UnknownUpgradeFilter.dropUnknownUpgrade(&headers, known: ["websocket"])
        #expect(headers["connection"] == ["keep-alive"] && headers["upgrade"].isEmpty)
    }

    @Test func aWebSocketUpgradeIsLeftAlone() throws {
        let channel = EmbeddedChannel(handler: UnknownUpgradeFilter())
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/exec",
                                   headers: HTTPHeaders([("Connection", "Upgrade"), ("Upgrade", "websocket")]))
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        let passed = try channel.readInbound(as: HTTPServerRequestPart.self)
        guard case .head(let out) = passed else {
            Issue.record("no head passed on")
            return
        }
        #expect(out.headers["upgrade"] == ["websocket"] && out.headers["connection"] == ["Upgrade"])
        // WebSocket frames follow as bytes: the filter is gone and passes nothing it cannot read.
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: UnknownUpgradeFilter.self) }
        try channel.writeInbound(ByteBuffer(bytes: [0x82, 0x00]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0x82, 0x00]))
        _ = try channel.finish()
    }
}
