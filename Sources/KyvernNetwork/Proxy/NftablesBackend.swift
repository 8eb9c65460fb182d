import Foundation

/// Programs the nftables mode (``NftRuleBuilder``) through `nft -f`, remembering what it applied
/// so a partial sync writes only the differences; removes its table on request. Shares nothing
/// with the iptables mode's chains: its own table `ip kyvern` holds every hook it needs.
package actor NftablesBackend: ProxyBackend {
    private var applied: NftRuleSet?
    private var routeLocalnetSet = false

    package let namespace: String?

    package init(namespace: String? = nil) {
        self.namespace = namespace
    }

    package nonisolated var ruleTables: [String] { [NftRuleSet.table] }
    package nonisolated var mode: ProxyMode { .nftables }

    /// "nftables v1.0.6", for the log.
    package func describe() async -> String {
        guard let version = try? await ProxyCommand.run("nft", ["--version"]) else { return "nftables (unavailable)" }
        return version.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "nftables"
    }

    package func apply(_ entries: [RuleBuilder.Entry], node: RuleBuilder.Node, full: Bool) async throws -> ProxySyncReport {
        let desired = NftRuleBuilder(node: node).build(entries)
        let report = try await sync(desired, full: full)
        return ProxySyncReport(full: report.full, chainsWritten: report.written, chainsDeleted: report.deleted,
                               rules: [NftRuleSet.table: desired.ruleCount], chains: desired.chains.count)
    }

    /// Applies `desired`; a failure forgets what was applied, so the next sync is full.
    package func sync(_ desired: NftRuleSet, full: Bool) async throws -> (full: Bool, written: Int, deleted: Int) {
        let full = full || applied == nil
        let plan = NftPlan(desired: desired, applied: full ? nil : applied)
        do {
            if !plan.text.isEmpty { try await load(plan.text) }
            if full { try await setRouteLocalnet() }
        } catch {
            applied = nil
            throw error
        }
        applied = desired
        return (full, plan.written, plan.deleted)
    }

    /// `nft -f` of `text` handed over as a file (megabytes on a large cluster).
    private func load(_ text: String) async throws {
        try await NftFile.load(text, prefix: "kyvern-proxy", namespace: namespace)
    }

    /// Deletes the table. Works in a cancelled task too (shutdown), so no Subprocess.
    package func removeAll() async throws {
        try NftFile.loadUncancellable(NftPlan.removal, prefix: "kyvern-proxy", namespace: namespace)
        applied = nil
    }

    /// Node ports on 127.0.0.1 need loopback sources routed off the loopback device after DNAT.
    private func setRouteLocalnet() async throws {
        guard !routeLocalnetSet else { return }
        let arguments = ["-q", "-w", "net.ipv4.conf.all.route_localnet=1"]
        let ok = if let namespace {
            (try? await ProxyCommand.run("ip", ["netns", "exec", namespace, "sysctl"] + arguments)) != nil
        } else {
            (try? await ProxyCommand.run("sysctl", arguments)) != nil
        }
        if ok { routeLocalnetSet = true }
    }
}
