import NIOHTTP1

/// Header rewriting at the proxy: hop-by-hop headers stop here (RFC 9110 7.6.1), the
/// `X-Forwarded-*` headers describe the client's connection. Incoming `X-Forwarded-*` values are
/// replaced, not trusted, as upstream's controllers do by default.
///
/// This runs twice per proxied request, so names are compared in place, ASCII case-insensitively,
/// instead of lowercased into new strings, and a head with nothing to drop is passed on as it is.
enum IngressForwardedHead {
    static let hopByHop: [String] = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
                                     "proxy-authenticate", "proxy-authorization"]
    /// Set by the proxy on every forwarded request, so dropped from what the client sent.
    static let forwarded: [String] = ["x-forwarded-for", "x-real-ip", "x-forwarded-proto", "x-forwarded-host",
                                      "x-forwarded-port"]

    /// Whether the request asks to switch protocols (WebSocket and the like).
    static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        guard head.version.major == 1, head.version.minor >= 1, let upgrade = head.headers.first(name: "upgrade"), !upgrade.isEmpty
        else { return false }
        return head.headers[canonicalForm: "connection"].contains { IngressASCII.equalsIgnoringCase($0, "upgrade") }
    }

    /// The request as sent to the endpoint: HTTP/1.1, keep-alive, forwarded headers set.
    static func request(_ head: HTTPRequestHead, clientIP: String?, scheme: String, localPort: String?) -> HTTPRequestHead {
        let upgrade = isUpgrade(head) ? head.headers.first(name: "upgrade") : nil
        let named = connectionTokens(head.headers)
        var host: String?
        var authority: String?
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 5)
        for (name, value) in head.headers {
            if host == nil, IngressASCII.equalsIgnoringCase(name, "host") { host = value }
            if name.utf8.first == UInt8(ascii: ":") {
                if authority == nil, IngressASCII.equalsIgnoringCase(name, ":authority") { authority = value }
                continue
            }
            if isHopByHop(name, named: named) || forwarded.contains(where: { IngressASCII.equalsIgnoringCase(name, $0) }) { continue }
            headers.add(name: name, value: value)
        }
        if host == nil, let authority {
            headers.add(name: "host", value: authority)
        }
        if let upgrade {
            headers.add(name: "connection", value: "upgrade")
            headers.add(name: "upgrade", value: upgrade)
        }
        if let clientIP {
            headers.add(name: "x-forwarded-for", value: clientIP)
            headers.add(name: "x-real-ip", value: clientIP)
        }
        headers.add(name: "x-forwarded-proto", value: scheme)
        if let host, !host.isEmpty { headers.add(name: "x-forwarded-host", value: host) }
        if let localPort { headers.add(name: "x-forwarded-port", value: localPort) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The response as sent to the client; `close` adds `connection: close` (HTTP/1 only).
    static func response(_ head: HTTPResponseHead, version: HTTPVersion, close: Bool) -> HTTPResponseHead {
        var headers = stripped(head.headers)
        if close && version.major < 2 { headers.add(name: "connection", value: "close") }
        return HTTPResponseHead(version: version.major < 2 ? version : .http2, status: head.status, headers: headers)
    }

    /// Without hop-by-hop headers, including those the `Connection` header names; the same
    /// value (no copy) when there is none.
    static func stripped(_ headers: HTTPHeaders) -> HTTPHeaders {
        let named = connectionTokens(headers)
        guard headers.contains(where: { drops($0.name, named: named) }) else { return headers }
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count)
        for (name, value) in headers where !drops(name, named: named) {
            result.add(name: name, value: value)
        }
        return result
    }

    /// The header names a `Connection` header lists (empty when there is none, the usual case).
    private static func connectionTokens(_ headers: HTTPHeaders) -> [Substring] {
        headers.contains(name: "connection") ? headers[canonicalForm: "connection"] : []
    }

    private static func drops(_ name: String, named: [Substring]) -> Bool {
        name.utf8.first == UInt8(ascii: ":") || isHopByHop(name, named: named)
    }

    private static func isHopByHop(_ name: String, named: [Substring]) -> Bool {
        hopByHop.contains { IngressASCII.equalsIgnoringCase(name, $0) }
            || named.contains { IngressASCII.equalsIgnoringCase(name, $0) }
    }
}

/// ASCII case-insensitive comparison without making lowercased copies (HTTP names and tokens).
enum IngressASCII {
    static func equalsIgnoringCase(_ text: some StringProtocol, _ lower: some StringProtocol) -> Bool {
        let a = text.utf8
        let b = lower.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in x == y || (x ^ 0x20 == y && (y | 0x20) >= UInt8(ascii: "a") && (y | 0x20) <= UInt8(ascii: "z")) }
    }
}
