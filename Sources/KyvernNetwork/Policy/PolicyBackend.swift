import Foundation

/// Where a node's policy rules go: nftables (table `inet kyvern-policy`) or iptables (chains
/// `KYVERN-NETPOL-*` in the filter table), the same choice as the service proxy's mode, both
/// built from one ``PolicyRuleSet``.
package protocol PolicyBackend: Actor {
    /// What the rules live in, for the log.
    nonisolated var location: String { get }
    /// The named network namespace programmed instead of the process's own, if any.
    nonisolated var namespace: String? { get }
    /// Writes the rules for `set` unless they are what the kernel already holds (`force` loads
    /// regardless and repairs what changed behind the controller's back); nil when nothing was
    /// loaded. A failure forgets what was loaded, so the next sync loads everything.
    func load(_ set: PolicyRuleSet, force: Bool) async throws -> PolicyLoad?
    /// Removes every rule this backend's kind makes. Works in a cancelled task (shutdown).
    func removeAll() async throws
}

/// The size of what one sync loaded, for the log and the metrics.
package struct PolicyLoad: Sendable, Equatable {
    package var rules: Int
    package var isolatedPods: Int
    /// Named sets (nftables) or chains (iptables).
    package var containers: Int
}

extension ProxyMode {
    /// The policy backend matching this proxy mode.
    package func policyBackend(namespace: String? = nil) -> any PolicyBackend {
        switch self {
        case .nftables: NftPolicyBackend(namespace: namespace)
        case .iptables: IptablesPolicyBackend(namespace: namespace)
        }
    }

    /// The tool the policy backend of this mode needs.
    package var policyTool: String {
        switch self {
        case .nftables: "nft"
        case .iptables: "iptables-restore"
        }
    }
}
