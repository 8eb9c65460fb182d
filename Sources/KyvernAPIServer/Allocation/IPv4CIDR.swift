/// An IPv4 network in CIDR notation (`10.43.0.0/16`), with the arithmetic the service IP
/// allocator needs: which addresses it holds and the n-th usable one.
///
/// Addresses are plain `UInt32`s in host order; that keeps offset arithmetic exact and cheap.
public struct IPv4CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits zero).
    public let network: UInt32
    public let prefixLength: Int

    /// Parses `a.b.c.d/n`; the address is masked to its network, as upstream does.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Self.parseAddress(String(parts[0])),
              let prefix = Int(parts[1]), (0...32).contains(prefix), String(prefix) == parts[1] else { return nil }
        self.prefixLength = prefix
        self.network = address & Self.mask(prefix)
    }

    public var description: String { "\(Self.format(network))/\(prefixLength)" }

    /// Every address of the network, network and broadcast included.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }

    /// The addresses a Service may get: all but the network and broadcast addresses
    /// (for /31 and /32 every address, there being no such addresses).
    public var usableCount: Int {
        prefixLength >= 31 ? Int(size) : Int(size - 2)
    }

    private var firstUsable: UInt32 { prefixLength >= 31 ? network : network + 1 }

    /// The usable address at `offset` (0 is the first: `10.43.0.1` in `10.43.0.0/16`).
    public func address(at offset: Int) -> UInt32? {
        guard offset >= 0, offset < usableCount else { return nil }
        return firstUsable + UInt32(offset)
    }

    /// The offset of a usable address, nil when the address is outside the usable range.
    public func offset(of address: UInt32) -> Int? {
        guard address >= firstUsable else { return nil }
        let offset = Int(address - firstUsable)
        return offset < usableCount ? offset : nil
    }

    public func contains(_ address: UInt32) -> Bool {
        address & Self.mask(prefixLength) == network
    }

    static func mask(_ prefix: Int) -> UInt32 {
        prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix)
    }

    /// Parses dotted-quad IPv4 (no leading zeros, as Go's `netip` requires).
    public static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCII), octet.allSatisfy(\.isNumber),
                  octet.count == 1 || octet.first != "0", let byte = UInt32(octet), byte <= 255 else { return nil }
            value = value << 8 | byte
        }
        return value
    }

    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
    }
}
