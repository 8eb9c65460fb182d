/// Where and how the cluster DNS server runs.
public struct ClusterDNSConfiguration: Sendable {
    /// Addresses to listen on, UDP and TCP each (the node's bridge address in a cluster).
    public var listenAddresses: [String]
    public var port: Int
    /// The cluster domain (`cluster.local`).
    public var domain: String
    /// Resolvers for other names, "ip" or "ip:port"; nil reads /etc/resolv.conf at start.
    public var upstreams: [String]?
    /// How long one upstream has to answer before the next is tried.
    public var upstreamTimeout: Duration = .seconds(2)
    /// How long a TCP connection may stay open without a query.
    public var tcpIdleTimeout: Duration = .seconds(10)
    /// The TTL of the cluster's records (CoreDNS's default).
    public var ttl: UInt32 = 5

    public init(listenAddresses: [String], port: Int = 53, domain: String = "cluster.local", upstreams: [String]? = nil) {
        self.listenAddresses = listenAddresses
        self.port = port
        self.domain = domain
        self.upstreams = upstreams
    }
}

/// A configuration the server cannot start with.
public struct ClusterDNSConfigurationError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
