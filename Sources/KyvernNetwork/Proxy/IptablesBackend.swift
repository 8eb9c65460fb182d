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

    /// A named network namespace (`ip netns`) to program instead of the process's own; tests
    /// use it to keep their rules apart from other suites running at the same time.
    package let namespace: String?

    package init(namespace: String? = nil) {
        self.namespace = namespace
    }

    /// `name arguments`, inside ``namespace`` when one is set.
    nonisolated func command(_ name: String, _ arguments: [String]) -> (String, [String]) {
        guard let namespace else { return (name, arguments) }
        return ("ip", ["netns", "exec", namespace, name] + arguments)
    }

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
                let (tool, arguments) = command("iptables-save", ["-t", table])
                let save = try await ProxyCommand.run(tool, arguments)
                existing[table] = RestorePlan.kyvernChains(inSave: save)
                jumps[table] = BuiltinJump.insertions(table: table, save: save)
            }
        }
        let plan = RestorePlan(desired: desired, applied: full ? nil : applied, existing: existing, extra: jumps)
        do {
            if !plan.text.isEmpty {
                try await ProxyCommand.restore(plan.text, namespace: namespace)
            }
            if full { try await setRouteLocalnet() }
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
            let (tool, arguments) = command("iptables-save", ["-t", table])
            let save = try ProxyCommand.runUncancellable(tool, arguments)
            chains[table] = RestorePlan.kyvernChains(inSave: save)
            jumps[table] = BuiltinJump.deletions(save: save)
        }
        let text = RestorePlan.removal(of: chains, jumps: jumps)
        if !text.isEmpty {
            let path = FileManager.default.temporaryDirectory.path + "/kyvern-proxy-\(UUID().uuidString).rules"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (tool, arguments) = command("iptables-restore", ["-w", "--noflush", path])
            try ProxyCommand.runUncancellable(tool, arguments)
        }
        applied = nil
    }

    /// Node ports on 127.0.0.1 need the kernel to route loopback sources off the loopback
    /// device once DNAT sent them to a pod (upstream sets the same sysctl).
    private func setRouteLocalnet() async throws {
        guard !routeLocalnetSet else { return }
        let (tool, arguments) = command("sysctl", ["-q", "-w", "net.ipv4.conf.all.route_localnet=1"])
        if (try? await ProxyCommand.run(tool, arguments)) != nil { routeLocalnetSet = true }
    }
}
