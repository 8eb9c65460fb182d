/// An IPv4 network in CIDR notation, with what the node's network set-up needs of it.
public struct IPv4Network: Sendable, Hashable, CustomStringConvertible {
    public let base: UInt32
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), (0...32).contains(prefix),
              let address = Self.parseAddress(String(parts[0])) else { return nil }
        prefixLength = prefix
        base = address & Self.mask(prefix)
    }

    public var description: String { "\(Self.format(base))/\(prefixLength)" }

    /// The first usable address: the gateway the bridge holds.
    public var gateway: String { Self.format(base &+ 1) }

    public func contains(_ address: String) -> Bool {
        guard let value = Self.parseAddress(address) else { return false }
        return value & Self.mask(prefixLength) == base
    }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

    public static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }
}
