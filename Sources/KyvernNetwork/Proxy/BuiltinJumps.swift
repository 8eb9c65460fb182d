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

    /// The rule as `iptables-save` prints it and `iptables-restore` reads it, after `verb CHAIN`.
    package var specification: String {
        rule.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
    }

    /// The jump's target chain.
    var target: String { rule.last ?? "" }

    /// Restore lines inserting the jumps of `table` missing from its `iptables-save` output, in
    /// order at the top of their chains (reading the save output instead of running `iptables -C`
    /// per jump: every iptables call loads the whole table, seconds on a large cluster).
    package static func insertions(table: String, save: String) -> [String] {
        let lines = save.split(separator: "\n")
        let missing = all.filter { jump in
            jump.table == table && !lines.contains { $0.hasPrefix("-A \(jump.chain) ") && $0.hasSuffix(" -j \(jump.target)") }
        }
        // Inserting at 1 in reverse keeps the list's order.
        return missing.reversed().map { "-I \($0.chain) 1 \($0.specification)" }
    }

    /// Restore lines deleting every rule of a built-in chain that jumps into a Kyvern chain.
    package static func deletions(save: String) -> [String] {
        save.split(separator: "\n").filter { line in
            guard line.hasPrefix("-A "), let chain = line.split(separator: " ").dropFirst().first else { return false }
            let words = line.split(separator: " ")
            guard !chain.hasPrefix(ChainNames.prefix), let jump = words.lastIndex(of: "-j"), jump + 1 < words.count else { return false }
            return ChainNames.isProxyChain(words[jump + 1])
        }.map { "-D " + $0.dropFirst(3) }
    }

    private static let newOnly = ["-m", "conntrack", "--ctstate", "NEW"]

    private static func comment(_ text: String) -> [String] { ["-m", "comment", "--comment", text] }
}
