/// Where Services get their addresses and node ports from (`--service-cidr`, and upstream's
/// default node-port range).
public struct ServiceRanges: Sendable, Hashable {
    public var clusterIPs: IPv4CIDR
    public var nodePorts: ClosedRange<Int>

    public init(clusterIPs: IPv4CIDR, nodePorts: ClosedRange<Int> = 30000...32767) {
        self.clusterIPs = clusterIPs
        self.nodePorts = nodePorts
    }

    public static let `default` = ServiceRanges(clusterIPs: IPv4CIDR("10.43.0.0/16")!)

    /// The `kubernetes` Service's address: the first usable one of the range.
    public var kubernetesServiceIP: String { IPv4CIDR.format(clusterIPs.address(at: 0)!) }

    /// Upstream keeps the low end of each range for addresses and ports users ask for by value,
    /// and allocates dynamically from above it first, so static requests rarely collide.
    var dynamicIPStart: Int {
        Self.staticBand(size: Int(clusterIPs.size), minimum: 16, maximum: 256, step: 16)
    }

    var dynamicPortStart: Int {
        Self.staticBand(size: nodePorts.count, minimum: 16, maximum: 128, step: 32)
    }

    static func staticBand(size: Int, minimum: Int, maximum: Int, step: Int) -> Int {
        if size <= minimum { return 0 }
        return min(max(size / step, minimum), maximum)
    }

    /// Validates a `--service-cidr` value as upstream validates `--service-cluster-ip-range`.
    public static func parseCIDR(_ text: String) throws(ServiceRangeError) -> IPv4CIDR {
        guard let cidr = IPv4CIDR(text) else { throw ServiceRangeError("invalid CIDR address: \(text)") }
        if cidr.prefixLength < 12 {
            throw ServiceRangeError("specified --service-cidr is too large; for 32-bit addresses, the mask must be >= 12")
        }
        if cidr.prefixLength > 30 {
            throw ServiceRangeError("specified --service-cidr is too small; it must leave room for at least two addresses")
        }
        return cidr
    }
}

public struct ServiceRangeError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
