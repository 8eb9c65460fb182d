/// One backend of a Service port, with the EndpointSlice conditions the proxy chooses by.
package struct ProxyEndpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    package var ip: String
    package var port: Int
    package var ready: Bool
    package var serving: Bool
    package var terminating: Bool
    package var nodeName: String?

    package init(ip: String, port: Int, ready: Bool = true, serving: Bool? = nil, terminating: Bool = false,
                 nodeName: String? = nil) {
        self.ip = ip
        self.port = port
        self.ready = ready
        self.serving = serving ?? ready
        self.terminating = terminating
        self.nodeName = nodeName
    }

    /// `ip:port`, what DNAT rewrites to and what chain hashes and comments use.
    package var description: String { "\(ip):\(port)" }

    /// Whether the endpoint runs on `node` (the endpoint's `nodeName`).
    package func isLocal(to node: String) -> Bool { nodeName == node }

    /// Orders by address numerically, then port, so rules come out the same on every sync.
    package static func < (lhs: Self, rhs: Self) -> Bool {
        let (l, r) = (Self.numeric(lhs.ip), Self.numeric(rhs.ip))
        return l != r ? l < r : lhs.port < rhs.port
    }

    static func numeric(_ ip: String) -> UInt32 {
        ip.split(separator: ".").reduce(UInt32(0)) { ($0 << 8) | UInt32(UInt8($1) ?? 0) }
    }
}
