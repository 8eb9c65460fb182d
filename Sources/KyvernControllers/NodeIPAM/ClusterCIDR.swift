/// The IPv4 range nodes get their pod ranges from (`--cluster-cidr`), cut into one /24 per node.
public struct ClusterCIDR: Sendable, Hashable, CustomStringConvertible {
    /// Every node gets a range of this size (upstream's `--node-cidr-mask-size-ipv4` default).
    public static let nodeMaskSize = 24

    /// The network address, host bits cleared.
    let network: UInt32
    let prefixLength: Int

    /// Parses `a.b.c.d/n`; the range must hold at least one /24.
    public init(parsing text: String) throws(ClusterCIDRError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Self.parseIPv4(String(parts[0])),
              let prefix = Int(parts[1]), String(prefix) == parts[1], (0...32).contains(prefix) else {
            if text.contains(":") {
                throw ClusterCIDRError("--cluster-cidr: only IPv4 ranges are supported, got \(text)")
            }
            throw ClusterCIDRError("--cluster-cidr: invalid CIDR address: \(text)")
        }
        guard prefix <= Self.nodeMaskSize else {
            throw ClusterCIDRError("--cluster-cidr: \(text) is smaller than one node's /\(Self.nodeMaskSize) pod range")
        }
        guard prefix >= 8 else {
            throw ClusterCIDRError("--cluster-cidr: \(text) is too large; the mask must be at least /8")
        }
        self.prefixLength = prefix
        self.network = prefix == 0 ? 0 : address & (UInt32.max << (32 - prefix))
    }

    /// How many node ranges fit.
    var subnetCount: Int { 1 << (Self.nodeMaskSize - prefixLength) }

    /// The `index`th node range, e.g. `10.42.3.0/24`.
    func subnet(_ index: Int) -> String {
        Self.format(network + UInt32(index) << (32 - Self.nodeMaskSize)) + "/\(Self.nodeMaskSize)"
    }

    /// The index of `cidr` if it is exactly one of this range's node ranges.
    func index(of cidr: String) -> Int? {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, parts[1] == "\(Self.nodeMaskSize)", let address = Self.parseIPv4(String(parts[0])) else {
            return nil
        }
        let hostBits = 32 - Self.nodeMaskSize
        guard address & ((1 << hostBits) - 1) == 0, prefixLength == 0 || address >> (32 - prefixLength) == network >> (32 - prefixLength) else {
            return nil
        }
        return Int((address - network) >> hostBits)
    }

    public var description: String { Self.format(network) + "/\(prefixLength)" }

    static func parseIPv4(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard let number = UInt32(octet), number <= 255, String(number) == octet else { return nil }
            value = value << 8 | number
        }
        return value
    }

    static func format(_ address: UInt32) -> String {
        "\(address >> 24 & 0xFF).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }
}

public struct ClusterCIDRError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
