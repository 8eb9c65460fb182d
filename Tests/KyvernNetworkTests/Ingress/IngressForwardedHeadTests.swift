import NIOHTTP1
import Testing

@testable import KyvernNetwork

@Suite("Ingress header rewriting: hop-by-hop headers, X-Forwarded-*, upgrades")
struct IngressForwardedHeadTests {
    @Test func requestsLoseHopByHopHeadersAndGainForwardedOnes() {
        let head = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/a?b", headers: [
            "Host": "shop.example", "Connection": "keep-alive, X-Secret", "X-Secret": "1", "Keep-Alive": "timeout=5",
            "X-Forwarded-For": "6.6.6.6", "Accept": "*/*",
        ])
        let forwarded = IngressForwardedHead.request(head, clientIP: "192.0.2.7", scheme: "https", localPort: "443")
        #expect(forwarded.version == .http1_1)
        #expect(forwarded.uri == "/a?b")
        #expect(forwarded.headers["connection"].isEmpty)
        #expect(forwarded.headers["keep-alive"].isEmpty)
        #expect(forwarded.headers["x-secret"].isEmpty)
        #expect(forwarded.headers["accept"] == ["*/*"])
        #expect(forwarded.headers["host"] == ["shop.example"])
        #expect(forwarded.headers["x-forwarded-for"] == ["192.0.2.7"])  // replaced, not trusted
        #expect(forwarded.headers["x-real-ip"] == ["192.0.2.7"])
        #expect(forwarded.headers["x-forwarded-proto"] == ["https"])
        #expect(forwarded.headers["x-forwarded-host"] == ["shop.example"])
        #expect(forwarded.headers["x-forwarded-port"] == ["443"])
    }

    @Test func upgradesKeepTheirUpgradeHeaders() {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/ws", headers: [
            "Host": "ws.example", "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": "abc",
        ])
        #expect(IngressForwardedHead.isUpgrade(head))
        let forwarded = IngressForwardedHead.request(head, clientIP: nil, scheme: "http", localPort: nil)
        #expect(forwarded.headers["connection"] == ["upgrade"])
        #expect(forwarded.headers["upgrade"] == ["websocket"])
        #expect(forwarded.headers["sec-websocket-key"] == ["abc"])
        let plain = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Upgrade": "h2c"])
        #expect(!IngressForwardedHead.isUpgrade(plain))
    }

    @Test func responsesCloseOnlyWhenTheClientAskedTo() {
        let head = HTTPResponseHead(version: .http1_0, status: .ok, headers: [
            "Connection": "close", "Content-Length": "4", "Keep-Alive": "x",
        ])
        let kept = IngressForwardedHead.response(head, version: .http1_1, close: false)
        #expect(kept.version == .http1_1)
        #expect(kept.headers["connection"].isEmpty && kept.headers["keep-alive"].isEmpty)
        #expect(kept.headers["content-length"] == ["4"])
        let closed = IngressForwardedHead.response(head, version: .http1_1, close: true)
        #expect(closed.headers["connection"] == ["close"])
        let h2 = IngressForwardedHead.response(head, version: .http2, close: true)
        #expect(h2.headers["connection"].isEmpty)
    }
}
