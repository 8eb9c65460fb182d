import Foundation

/// Where the members of an etcd cluster are and how to reach them.
///
/// Parsed from the `--datastore-endpoint` flag's list (`https://h1:2379,https://h2:2379`), the way
/// kube-apiserver's `--etcd-servers` reads: every member speaks for the whole cluster, so the store
/// talks to one at a time and moves on when it goes away.
public struct EtcdConfiguration: Sendable, Hashable {
    /// One member's client URL.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        /// `https` (TLS) rather than `http`.
        public var secure: Bool

        public init(host: String, port: Int, secure: Bool) {
            self.host = host
            self.port = port
            self.secure = secure
        }

        public var description: String {
            "\(secure ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
    }

    public var endpoints: [Endpoint]
    /// PEM files: the CA that signed the members' certificates, and this client's certificate and key
    /// (for members that ask for client certificates).
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// How long one request may take before it counts as failed (and another member is tried).
    public var requestTimeout: Duration

    public init(endpoints: [Endpoint], caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
                requestTimeout: Duration = .seconds(10)) {
        self.endpoints = endpoints
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.requestTimeout = requestTimeout
    }

    /// Parses a comma-separated list of `http://host:port` / `https://host:port` URLs
    /// (the port defaults to 2379, `[v6]` brackets allowed).
    public static func parseEndpoints(_ list: String) throws(EtcdConfigurationError) -> [Endpoint] {
        let items = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw EtcdConfigurationError(input: list, reason: "no endpoint given") }
        return try items.map { (item: String) throws(EtcdConfigurationError) -> Endpoint in
            let secure: Bool
            let rest: Substring
            if item.hasPrefix("https://") {
                secure = true
                rest = item.dropFirst("https://".count)
            } else if item.hasPrefix("http://") {
                secure = false
                rest = item.dropFirst("http://".count)
            } else {
                throw EtcdConfigurationError(input: item, reason: "an etcd endpoint starts with http:// or https://")
            }
            let authority = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            var host = String(authority)
            var port = 2379
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else {
                    throw EtcdConfigurationError(input: item, reason: "unclosed [ in the host")
                }
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                        throw EtcdConfigurationError(input: item, reason: "the port is not a number from 1 to 65535")
                    }
                    port = p
                }
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                    throw EtcdConfigurationError(input: item, reason: "the port is not a number from 1 to 65535")
                }
                port = p
            }
            guard !host.isEmpty else { throw EtcdConfigurationError(input: item, reason: "no host") }
            return Endpoint(host: host, port: port, secure: secure)
        }
    }
}

/// A `--datastore-endpoint` list that does not name etcd members.
public struct EtcdConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var input: String
    public var reason: String

    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "invalid datastore endpoint \"\(input)\": \(reason)" }
}
