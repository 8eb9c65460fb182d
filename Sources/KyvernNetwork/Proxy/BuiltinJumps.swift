/// The rules in the built-in chains that lead into the proxy's chains — the only rules the proxy
/// puts outside chains it owns, so it inserts them one by one (idempotently) and removes exactly
/// them on shutdown.
package struct BuiltinJump: Equatable, Sendable {
    package var table: String
    package var chain: String
    /// The rule's words after the chain name (a comment is one word).
    package var rule: [String]

    package static let all: [BuiltinJump] = [
        BuiltinJump(table: "nat", chain: "PREROUTING", rule: comment("kyvern service portals") + ["-j", ChainNames.services]),
        BuiltinJump(table: "nat", chain: "OUTPUT", rule: comment("kyvern service portals") + ["-j", ChainNames.services]),
        BuiltinJump(table: "nat", chain: "POSTROUTING", rule: comment("kyvern postrouting rules") + ["-j", ChainNames.postrouting]),
        BuiltinJump(table: "filter", chain: "INPUT", rule: newOnly + comment("kyvern externally-visible service portals")
            + ["-j", ChainNames.externalServices]),
        BuiltinJump(table: "filter", chain: "INPUT", rule: ["-j", ChainNames.firewall]),
        BuiltinJump(table: "filter", chain: "FORWARD", rule: comment("kyvern forwarding rules") + ["-j", ChainNames.forward]),
        BuiltinJump(table: "filter", chain: "FORWARD", rule: newOnly + comment("kyvern service portals") + ["-j", ChainNames.services]),
        BuiltinJump(table: "filter", chain: "FORWARD", rule: newOnly + comment("kyvern externally-visible service portals")
            + ["-j", ChainNames.externalServices]),
        BuiltinJump(table: "filter", chain: "OUTPUT", rule: newOnly + comment("kyvern service portals") + ["-j", ChainNames.services]),
        BuiltinJump(table: "filter", chain: "OUTPUT", rule: ["-j", ChainNames.firewall]),
    ]

    private static let newOnly = ["-m", "conntrack", "--ctstate", "NEW"]

    private static func comment(_ text: String) -> [String] { ["-m", "comment", "--comment", text] }
}
