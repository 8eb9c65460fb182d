/// The `nft -f` input that takes the kernel from what was applied to what is desired, as one
/// transaction (nft applies a file atomically: all of it or nothing).
///
/// Full: `add table` + `delete table` + the whole table, so strays of any kind vanish and
/// nothing is ever half-programmed. Partial: only the differences, ordered so every reference
/// is valid at each step — new sets and chains are created, stale map elements deleted, changed
/// and stale chains flushed, stale chains and sets deleted, then rules and elements added.
package struct NftPlan: Sendable {
    package var text: String
    package var written: Int
    package var deleted: Int

    init(text: String, written: Int, deleted: Int) {
        (self.text, self.written, self.deleted) = (text, written, deleted)
    }

    package init(desired: NftRuleSet, applied: NftRuleSet?) {
        if let applied { self = Self.partial(desired: desired, applied: applied) } else { self = Self.full(desired) }
    }

    static let table = "\(NftRuleSet.family) \(NftRuleSet.table)"

    /// Deletes the table (if there is one) in one transaction.
    package static let removal = "add table \(table)\ndelete table \(table)\n"

    static func full(_ set: NftRuleSet) -> NftPlan {
        var out = removal
        out += "table \(table) {\n"
        for line in set.skeleton { out += "\t\(line)\n" }
        for (name, timeout) in set.affinitySets.sorted(by: { $0.key < $1.key }) { out += "\t\(affinityDeclaration(name, timeout))\n" }
        for chain in set.chains {
            out += "\tchain \(chain.name) {\n"
            for rule in chain.rules { out += "\t\t\(rule)\n" }
            out += "\t}\n"
        }
        out += "}\n"
        for map in NftRuleBuilder.maps {
            guard let elements = set.elements[map], !elements.isEmpty else { continue }
            out += "add element \(table) \(map) { " + elements.keys.sorted().map { element($0, elements[$0]!) }.joined(separator: ", ") + " }\n"
        }
        return NftPlan(text: out, written: set.chains.count, deleted: 0)
    }

    static func partial(desired: NftRuleSet, applied: NftRuleSet) -> NftPlan {
        let want = desired.chainsByName
        let have = applied.chainsByName
        let added = desired.chains.map(\.name).filter { have[$0] == nil }
        let changed = desired.chains.map(\.name).filter { have[$0] != nil && have[$0] != want[$0] }
        let stale = applied.chains.map(\.name).filter { want[$0] == nil }
        var out = ""
        for (name, timeout) in desired.affinitySets.sorted(by: { $0.key < $1.key }) where applied.affinitySets[name] == nil {
            out += "add set \(table) \(name) \(affinityBody(timeout))\n"
        }
        for name in added { out += "add chain \(table) \(name)\n" }
        var additions: [String] = []
        for map in NftRuleBuilder.maps {
            let now = desired.elements[map] ?? [:]
            let before = applied.elements[map] ?? [:]
            let gone = before.keys.filter { now[$0] != before[$0] }.sorted()
            if !gone.isEmpty { out += "delete element \(table) \(map) { \(gone.joined(separator: ", ")) }\n" }
            let new = now.keys.filter { before[$0] != now[$0] }.sorted()
            if !new.isEmpty { additions.append("add element \(table) \(map) { " + new.map { element($0, now[$0]!) }.joined(separator: ", ") + " }") }
        }
        for name in changed + stale { out += "flush chain \(table) \(name)\n" }
        for name in stale { out += "delete chain \(table) \(name)\n" }
        for name in applied.affinitySets.keys.sorted() where desired.affinitySets[name] == nil {
            out += "delete set \(table) \(name)\n"
        }
        for name in added + changed {
            for rule in want[name] ?? [] { out += "add rule \(table) \(name) \(rule)\n" }
        }
        for line in additions { out += line + "\n" }
        return NftPlan(text: out, written: added.count + changed.count, deleted: stale.count)
    }

    static func affinityDeclaration(_ name: String, _ timeout: Int) -> String {
        "set \(name) \(affinityBody(timeout))"
    }

    static func affinityBody(_ timeout: Int) -> String {
        "{ type ipv4_addr; flags dynamic,timeout; timeout \(timeout)s; }"
    }

    static func element(_ key: String, _ value: String) -> String {
        value.isEmpty ? key : "\(key) : \(value)"
    }
}
