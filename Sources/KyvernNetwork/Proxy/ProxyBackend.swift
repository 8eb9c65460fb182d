import Foundation

/// What the service proxy needs of a kernel backend, so one proxy loop drives either iptables
/// (``IptablesBackend``) or nftables (``NftablesBackend``), chosen by `--proxy-mode`.
package protocol ProxyBackend: Sendable {
    /// A named network namespace programmed instead of the process's own (tests, simulated nodes).
    var namespace: String? { get }
    /// Which `--proxy-mode` this backend is.
    var mode: ProxyMode { get }
    /// The table names `kyvern_proxy_rules` is labelled with.
    var ruleTables: [String] { get }
    /// The backend and its version, for the start-up log.
    func describe() async -> String
    /// Programs `entries` for `node`; `full` rewrites everything and removes strays, otherwise
    /// only what changed since the last successful sync is written.
    func apply(_ entries: [RuleBuilder.Entry], node: RuleBuilder.Node, full: Bool) async throws -> ProxySyncReport
    /// Removes every rule, chain and table the proxy made (shutdown; works in a cancelled task).
    func removeAll() async throws
}

/// What one sync did, for the log and metrics.
package struct ProxySyncReport: Sendable {
    package var full: Bool
    package var chainsWritten: Int
    package var chainsDeleted: Int
    /// Rules per table.
    package var rules: [String: Int]
    /// Chains in the whole desired set.
    package var chains: Int

    package var ruleCount: Int { rules.values.reduce(0, +) }
}

/// `--proxy-mode`: which backend the service proxy drives.
package enum ProxyMode: String, Sendable, CaseIterable, CustomStringConvertible {
    case iptables, nftables

    package var description: String { rawValue }

    /// `--proxy-mode auto`: nftables when the machine has the `nft` tool, else iptables, as the
    /// machine allows (the proxy logs the mode it drives).
    package static func detect(searchPath: String = "/usr/sbin:/sbin:/usr/bin:/bin") -> ProxyMode {
        let found = searchPath.split(separator: ":").contains { dir in
            FileManager.default.isExecutableFile(atPath: "\(dir)/nft")
        }
        return found ? .nftables : .iptables
    }

    package func backend(namespace: String? = nil) -> any ProxyBackend {
        switch self {
        case .iptables: IptablesBackend(namespace: namespace)
        case .nftables: NftablesBackend(namespace: namespace)
        }
    }
}

extension IptablesBackend: ProxyBackend {
    package nonisolated var mode: ProxyMode { .iptables }
    package nonisolated var ruleTables: [String] { ["nat", "filter"] }

    package func describe() async -> String { await Self.describe() }

    package func apply(_ entries: [RuleBuilder.Entry], node: RuleBuilder.Node, full: Bool) async throws -> ProxySyncReport {
        let rules = RuleBuilder(node: node).build(entries)
        let outcome = try await sync(rules, full: full)
        var counts: [String: Int] = [:]
        for table in rules.tables { counts[table.name] = table.chains.reduce(0) { $0 + $1.rules.count } }
        return ProxySyncReport(full: outcome.full, chainsWritten: outcome.chainsWritten, chainsDeleted: outcome.chainsDeleted,
                               rules: counts, chains: rules.chainCount)
    }
}
