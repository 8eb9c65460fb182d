/// The names of every chain the proxy owns. Per-service and per-endpoint chains carry a hash of
/// what they stand for, so a name is the same on every run and every node (a restarted proxy
/// recognises its own chains) and fits iptables' 28-character limit.
package enum ChainNames {
    package static let prefix = "KYVERN-"
    package static let services = "KYVERN-SERVICES"
    package static let nodePorts = "KYVERN-NODEPORTS"
    package static let externalServices = "KYVERN-EXTERNAL-SERVICES"
    package static let markMasquerade = "KYVERN-MARK-MASQ"
    package static let postrouting = "KYVERN-POSTROUTING"
    package static let forward = "KYVERN-FORWARD"
    package static let firewall = "KYVERN-FIREWALL"

    /// Chains the NetworkPolicy controller owns in the same filter table (iptables mode); the
    /// proxy neither deletes them as strays nor removes the jumps into them.
    package static let policyPrefix = "KYVERN-NETPOL-"

    /// Whether `name` is one of the proxy's chains.
    package static func isProxyChain<S: StringProtocol>(_ name: S) -> Bool {
        name.hasPrefix(prefix) && !name.hasPrefix(policyPrefix)
    }

    /// Spreads a Service port's cluster-policy traffic over its endpoints.
    package static func service(_ port: ServicePortSpec) -> String {
        "KYVERN-SVC-" + hash(port.name.description + port.proto.rawValue)
    }

    /// The same over this node's endpoints only (traffic policy Local).
    package static func localService(_ port: ServicePortSpec) -> String {
        "KYVERN-SVL-" + hash(port.name.description + port.proto.rawValue)
    }

    /// Entry for traffic from outside (node ports): masquerading, then a policy chain.
    package static func external(_ port: ServicePortSpec) -> String {
        "KYVERN-EXT-" + hash(port.name.description + port.proto.rawValue)
    }

    /// Rewrites to one endpoint.
    package static func endpoint(_ port: ServicePortSpec, _ endpoint: ProxyEndpoint) -> String {
        "KYVERN-SEP-" + hash(port.name.description + port.proto.rawValue + endpoint.description)
    }

    /// 80 bits of two FNV-1a passes in base32 (16 characters). Not cryptographic: it only has to
    /// be stable and spread names; Swift's `Hasher` is seeded per process and would not do.
    package static func hash(_ text: String) -> String {
        var first: UInt64 = 0xcbf2_9ce4_8422_2325
        var second: UInt64 = 0x84222325_cbf29ce4
        for byte in text.utf8 {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            second = (second ^ UInt64(byte ^ 0x5a)) &* 0x0000_0100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var result = ""
        // 64 bits of the first pass and 16 of the second: 16 groups of 5 bits.
        var bits = first
        for index in 0..<16 {
            if index == 12 { bits = second }
            result.append(alphabet[Int(bits & 31)])
            bits >>= 5
        }
        return result
    }
}
