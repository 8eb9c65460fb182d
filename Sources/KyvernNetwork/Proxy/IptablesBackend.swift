import Foundation

/// Writes rule sets into the kernel through `iptables-restore`, remembering what it applied so
/// the next sync rewrites only changed chains; installs the built-in chain jumps; removes
/// everything it made on request.
package actor IptablesBackend {
    /// What a sync did.
    package struct Outcome: Sendable {
        package var full: Bool
        package var chainsWritten: Int
        package var chainsDeleted: Int
    }

    /// Chains (table → name → rules) the last successful sync left; nil forces a full sync.
    private var applied: [String: [String: [String]]]?
    private var routeLocalnetSet = false

    package init() {}

    /// `iptables -V` as "iptables (nf_tables)", for the log.
    package static func describe() async -> String {
        guard let version = try? await ProxyCommand.run("iptables", ["-V"]) else { return "iptables (unavailable)" }
        // "iptables v1.8.9 (nf_tables)"
        let mode = version.split(separator: "(").last.map { "(" + $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        return "iptables \(mode)".trimmingCharacters(in: .whitespaces)
    }

    /// Applies `desired`; `full` rewrites every chain and re-reads the kernel's Kyvern chains
    /// (deleting strays) and re-checks the built-in jumps. A failure forgets what was applied, so
    /// the next sync is full.
    package func sync(_ desired: RuleSet, full: Bool) async throws -> Outcome {
        let full = full || applied == nil
        var existing: [String: Set<String>] = [:]
        var jumps: [String: [String]] = [:]
        if full {
            // One read per table finds stray chains and missing jumps; the jumps then go into the
            // same transaction as the chains they lead to.
            for table in ["nat", "filter"] {
                let save = try await ProxyCommand.run("iptables-save", ["-t", table])
                existing[table] = RestorePlan.kyvernChains(inSave: save)
                jumps[table] = BuiltinJump.insertions(table: table, save: save)
            }
        }
        let plan = RestorePlan(desired: desired, applied: full ? nil : applied, existing: existing, extra: jumps)
        do {
            if !plan.text.isEmpty {
                try await ProxyCommand.restore(plan.text)
            }
            if full { setRouteLocalnet() }
        } catch {
            applied = nil
            throw error
        }
        var state: [String: [String: [String]]] = [:]
        for table in desired.tables { state[table.name] = table.byName }
        applied = state
        return Outcome(full: full, chainsWritten: plan.written.values.reduce(0) { $0 + $1.count },
                       chainsDeleted: plan.deleted.values.reduce(0) { $0 + $1.count })
    }

    /// Removes the jumps and every Kyvern chain (found in the kernel, not only remembered).
    /// Works in a cancelled task too (shutdown), so it runs the tools without Subprocess.
    package func removeAll() async throws {
        var chains: [String: Set<String>] = [:]
        var jumps: [String: [String]] = [:]
        for table in ["nat", "filter"] {
            let save = try ProxyCommand.runUncancellable("iptables-save", ["-t", table])
            chains[table] = RestorePlan.kyvernChains(inSave: save)
            jumps[table] = BuiltinJump.deletions(save: save)
        }
        let text = RestorePlan.removal(of: chains, jumps: jumps)
        if !text.isEmpty {
            let path = FileManager.default.temporaryDirectory.path + "/kyvern-proxy-\(UUID().uuidString).rules"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try ProxyCommand.runUncancellable("iptables-restore", ["-w", "--noflush", path])
        }
        applied = nil
    }

    /// Node ports on 127.0.0.1 need the kernel to route loopback sources off the loopback
    /// device once DNAT sent them to a pod (upstream sets the same sysctl).
    private func setRouteLocalnet() {
        guard !routeLocalnetSet else { return }
        let path = "/proc/sys/net/ipv4/conf/all/route_localnet"
        if (try? "1".write(toFile: path, atomically: false, encoding: .utf8)) != nil { routeLocalnetSet = true }
    }
}
