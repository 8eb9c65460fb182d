import Foundation

/// Loads the policy chains through `iptables-restore -w --noflush` (in a named network namespace
/// when given), one transaction per sync, and removes them. Remembers the chains it last loaded,
/// so a sync rewrites only chains that changed and one that changes nothing costs no load.
package actor IptablesPolicyBackend: PolicyBackend {
    package let namespace: String?
    /// Chain → rules the last successful load left; nil when unknown (then the kernel is read).
    private var applied: [String: [String]]?

    package init(namespace: String? = nil) {
        self.namespace = namespace
    }

    package nonisolated var location: String { "iptables filter \(IptablesPolicyBuilder.prefix)*" }

    nonisolated func command(_ name: String, _ arguments: [String]) -> (String, [String]) {
        guard let namespace else { return (name, arguments) }
        return ("ip", ["netns", "exec", namespace, name] + arguments)
    }

    package func load(_ set: PolicyRuleSet, force: Bool) async throws -> PolicyLoad? {
        let output = IptablesPolicyBuilder().build(set)
        let full = force || applied == nil
        var existing: Set<String> = []
        var hooks: [String] = []
        if full {
            // One read finds chains left by an earlier run and hooks missing or no longer first.
            let (tool, arguments) = command("iptables-save", ["-t", "filter"])
            let save = try await ProxyCommand.run(tool, arguments)
            existing = IptablesPolicyBuilder.chains(inSave: save)
            hooks = IptablesPolicyBuilder.hookRepairs(save: save)
        }
        let text = IptablesPolicyBuilder.restore(output, applied: full ? nil : applied, existing: existing, hookLines: hooks)
        if !full && text.isEmpty { return nil }
        applied = nil
        if !text.isEmpty { try await ProxyCommand.restore(text, namespace: namespace) }
        applied = Dictionary(uniqueKeysWithValues: output.chains.map { ($0.name, $0.rules) })
        return PolicyLoad(rules: output.rules, isolatedPods: output.isolatedPods, containers: output.chains.count)
    }

    package func removeAll() throws {
        let (tool, arguments) = command("iptables-save", ["-t", "filter"])
        let text = IptablesPolicyBuilder.removal(save: try ProxyCommand.runUncancellable(tool, arguments))
        applied = nil
        guard !text.isEmpty else { return }
        let path = FileManager.default.temporaryDirectory.path + "/kyvern-policy-\(UUID().uuidString).rules"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (restore, restoreArguments) = command("iptables-restore", ["-w", "--noflush", path])
        try ProxyCommand.runUncancellable(restore, restoreArguments)
    }
}
