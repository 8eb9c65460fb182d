import NIOHTTP1

/// Header rewriting at the proxy: hop-by-hop headers stop here (RFC 9110 7.6.1), the
/// `X-Forwarded-*` headers describe the client's connection. Incoming `X-Forwarded-*` values are
/// replaced, not trusted, as upstream's controllers do by default.
enum IngressForwardedHead {
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
                                        "proxy-authenticate", "proxy-authorization"]

    /// Whether the request asks to switch protocols (WebSocket and the like).
    static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        guard head.version.major == 1, head.version.minor >= 1, let upgrade = head.headers.first(name: "upgrade"), !upgrade.isEmpty
        else { return false }
        return head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// The request as sent to the endpoint: HTTP/1.1, keep-alive, forwarded headers set.
    static func request(_ head: HTTPRequestHead, clientIP: String?, scheme: String, localPort: Int?) -> HTTPRequestHead {
        let upgrade = isUpgrade(head) ? head.headers.first(name: "upgrade") : nil
        var headers = stripped(head.headers)
        let host = head.headers.first(name: "host") ?? ""
        if head.headers.first(name: "host") == nil, let authority = head.headers.first(name: ":authority") {
            headers.replaceOrAdd(name: "host", value: authority)
        }
        if let upgrade {
            headers.add(name: "connection", value: "upgrade")
            headers.add(name: "upgrade", value: upgrade)
        }
        if let clientIP {
            headers.replaceOrAdd(name: "x-forwarded-for", value: clientIP)
            headers.replaceOrAdd(name: "x-real-ip", value: clientIP)
        }
        headers.replaceOrAdd(name: "x-forwarded-proto", value: scheme)
        if !host.isEmpty { headers.replaceOrAdd(name: "x-forwarded-host", value: host) }
        if let localPort { headers.replaceOrAdd(name: "x-forwarded-port", value: String(localPort)) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The response as sent to the client; `close` adds `connection: close` (HTTP/1 only).
    static func response(_ head: HTTPResponseHead, version: HTTPVersion, close: Bool) -> HTTPResponseHead {
        var headers = stripped(head.headers)
        if close && version.major < 2 { headers.add(name: "connection", value: "close") }
        return HTTPResponseHead(version: version.major < 2 ? version : .http2, status: head.status, headers: headers)
    }

    /// Without hop-by-hop headers, including those the `Connection` header names.
    static func stripped(_ headers: HTTPHeaders) -> HTTPHeaders {
        let named = Set(headers[canonicalForm: "connection"].map { $0.lowercased() })
        var result = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if hopByHop.contains(lower) || named.contains(lower) || lower.hasPrefix(":") { continue }
            result.add(name: name, value: value)
        }
        return result
    }
}
