/// Turns a desired rule set into `iptables-restore --noflush` input, per table one transaction
/// that rewrites chains and deletes stale ones atomically.
///
/// A full plan (nothing known applied) writes every chain. A partial plan writes only chains whose
/// rules differ from what the last successful sync applied — upstream's way of keeping a
/// one-endpoint change cheap on a large cluster: with `--noflush`, declaring `:CHAIN` empties just
/// that chain, and chains not named are left as they are.
package struct RestorePlan: Equatable, Sendable {
    /// The restore input (empty when nothing changed).
    package var text: String
    /// Chains written, per table.
    package var written: [String: [String]]
    /// Chains deleted, per table.
    package var deleted: [String: [String]]

    /// `applied`: the chains the last successful sync left (table → chain → rules), nil for a full
    /// plan. `existing`: Kyvern chains found in the kernel (table → names), deleted unless desired.
    ///
    /// `extra`: lines per table written after the chains' rules (the built-in chain jumps).
    package init(desired: RuleSet, applied: [String: [String: [String]]]?, existing: [String: Set<String>] = [:],
                 extra: [String: [String]] = [:]) {
        var text = ""
        var written: [String: [String]] = [:]
        var deleted: [String: [String]] = [:]
        for table in desired.tables {
            let previous = applied?[table.name]
            // Sorted by name: iptables-restore (nf_tables) declares and fills chains given in name
            // order about twice as fast (4 s instead of 8 s for 11,000 chains here).
            let changed = table.chains.filter { chain in previous.map { $0[chain.name] != chain.rules } ?? true }
                .sorted { $0.name < $1.name }
            let wanted = Set(table.chains.map(\.name))
            let known = Set(previous?.keys.map { $0 } ?? []).union(existing[table.name] ?? [])
            let stale = known.subtracting(wanted).filter { ChainNames.isProxyChain($0) }.sorted()
            let more = extra[table.name] ?? []
            guard !changed.isEmpty || !stale.isEmpty || !more.isEmpty else { continue }
            var lines = ["*\(table.name)"]
            for chain in changed { lines.append(":\(chain.name) - [0:0]") }
            for name in stale { lines.append(":\(name) - [0:0]") }
            for chain in changed {
                for rule in chain.rules { lines.append("-A \(chain.name) \(rule)") }
            }
            lines += more
            for name in stale { lines.append("-X \(name)") }
            lines.append("COMMIT")
            text += lines.joined(separator: "\n") + "\n"
            written[table.name] = changed.map(\.name)
            if !stale.isEmpty { deleted[table.name] = stale }
        }
        self.text = text
        self.written = written
        self.deleted = deleted
    }

    /// Input that deletes the jumps (`-D` lines per table) and empties and deletes `chains`
    /// (table → names), for shutdown: one transaction per table.
    package static func removal(of chains: [String: Set<String>], jumps: [String: [String]] = [:]) -> String {
        var text = ""
        for table in Set(chains.keys).union(jumps.keys).sorted() {
            let sorted = (chains[table] ?? []).sorted()
            let deletions = jumps[table] ?? []
            guard !sorted.isEmpty || !deletions.isEmpty else { continue }
            text += (["*\(table)"] + sorted.map { ":\($0) - [0:0]" } + deletions + sorted.map { "-X \($0)" } + ["COMMIT"])
                .joined(separator: "\n") + "\n"
        }
        return text
    }

    /// Kyvern chain names declared in `iptables-save` output of one table.
    package static func kyvernChains(inSave output: String) -> Set<String> {
        var names = Set<String>()
        for line in output.split(separator: "\n") where line.hasPrefix(":" + ChainNames.prefix) {
            if let name = line.dropFirst().split(separator: " ").first, ChainNames.isProxyChain(name) { names.insert(String(name)) }
        }
        return names
    }
}
