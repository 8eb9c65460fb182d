import Foundation
package import NIOCore

/// Where names outside the cluster are sent: addresses parsed from flags or /etc/resolv.conf.
package enum DNSUpstream {
    /// "1.1.1.1", "1.1.1.1:5353", "::1" or "[::1]:5353"; port 53 unless given.
    package static func parse(_ text: String) -> SocketAddress? {
        var host = text
        var port = 53
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = Int(rest.dropFirst()) else { return nil }
                port = value
            } else if !rest.isEmpty {
                return nil
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            guard let value = Int(text[text.index(after: colon)...]) else { return nil }
            port = value
        }
        guard (1...65535).contains(port) else { return nil }
        return try? SocketAddress(ipAddress: host, port: port)
    }

    /// The `nameserver` lines of a resolv.conf, in order (at most three are used by libc; all are kept).
    package static func nameservers(resolvConf text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { return nil }
            // A zone index ("fe80::1%eth0") cannot be reached from a socket address string; drop it.
            return String(words[1].split(separator: "%").first ?? words[1])
        }
    }

    /// The node's resolvers, read once at start.
    package static func nameservers(resolvConfPath: String = "/etc/resolv.conf") -> [String] {
        guard let text = try? String(contentsOfFile: resolvConfPath, encoding: .utf8) else { return [] }
        return nameservers(resolvConf: text)
    }

    /// Drops upstreams that are the server itself: the same address and port as a listener, or a
    /// loopback address on the port of a wildcard listener. Forwarding to itself would loop.
    package static func excludingSelf(_ upstreams: [SocketAddress], listeners: [SocketAddress]) -> [SocketAddress] {
        upstreams.filter { upstream in
            !listeners.contains { listener in
                guard listener.port == upstream.port else { return false }
                if listener.ipAddress == upstream.ipAddress { return true }
                let wildcard = listener.ipAddress == "0.0.0.0" || listener.ipAddress == "::"
                let loopback = upstream.ipAddress?.hasPrefix("127.") == true || upstream.ipAddress == "::1"
                return wildcard && loopback
            }
        }
    }
}
