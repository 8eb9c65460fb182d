/// The nftables mode's desired state in table `ip kyvern`: the fixed skeleton (hooks, maps,
/// helper chains; it depends only on the node) plus what each Service port adds — its chains,
/// its affinity sets and its elements in the shared verdict maps. The parts are kept apart so a
/// partial sync can diff them: changed chains are flushed and refilled, map elements added and
/// deleted, all in one `nft -f` transaction.
package struct NftRuleSet: Equatable, Sendable {
    package static let family = "ip"
    package static let table = "kyvern"

    /// The node-dependent declarations written (only) by a full sync, inside `table ip kyvern { }`.
    package var skeleton: [String] = []
    /// Per-Service-port chains in the order a full sync declares them (jump targets first).
    package var chains: [RuleSet.Chain] = []
    /// ClientIP affinity sets: name → timeout in seconds (the name carries the timeout, so a
    /// set is only ever added or deleted, never changed).
    package var affinitySets: [String: Int] = [:]
    /// Elements of the skeleton's maps and sets: map → key → value ("" in a plain set).
    package var elements: [String: [String: String]] = [:]

    package init() {}

    /// The chains by name.
    package var chainsByName: [String: [String]] {
        Dictionary(chains.map { ($0.name, $0.rules) }, uniquingKeysWith: { first, _ in first })
    }

    /// Rules in the per-port chains plus map elements (each element stands for an iptables rule).
    package var ruleCount: Int {
        chains.reduce(0) { $0 + $1.rules.count } + elements.values.reduce(0) { $0 + $1.count }
    }
}
