/// The proxy's desired rules: for each table, its Kyvern chains in order, each with its rules
/// (the words after `-A <chain>`), ready to become `iptables-restore` input.
package struct RuleSet: Equatable, Sendable {
    package struct Chain: Equatable, Sendable {
        package var name: String
        package var rules: [String]

        package init(name: String, rules: [String] = []) {
            self.name = name
            self.rules = rules
        }
    }

    package struct Table: Equatable, Sendable {
        package var name: String
        package var chains: [Chain] = []

        package init(name: String, chains: [Chain] = []) {
            self.name = name
            self.chains = chains
        }

        /// The chain called `name`.
        package subscript(name: String) -> Chain? { chains.first { $0.name == name } }

        /// The chains by name.
        package var byName: [String: [String]] {
            Dictionary(chains.map { ($0.name, $0.rules) }, uniquingKeysWith: { first, _ in first })
        }
    }

    package var nat = Table(name: "nat")
    package var filter = Table(name: "filter")

    package init(nat: Table = Table(name: "nat"), filter: Table = Table(name: "filter")) {
        self.nat = nat
        self.filter = filter
    }

    package var tables: [Table] { [nat, filter] }

    /// How many rules the set holds (both tables).
    package var ruleCount: Int { tables.reduce(0) { $0 + $1.chains.reduce(0) { $0 + $1.rules.count } } }

    /// How many chains the set holds (both tables).
    package var chainCount: Int { nat.chains.count + filter.chains.count }
}
