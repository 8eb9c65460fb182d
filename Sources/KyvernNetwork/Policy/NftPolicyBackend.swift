import Foundation

/// Loads the policy table through `nft -f` (in a named network namespace when given) and
/// removes it. Remembers the text it last loaded, so a sync that changes nothing costs no load.
package actor NftPolicyBackend: PolicyBackend {
    package let namespace: String?
    private var loaded: String?

    package init(namespace: String? = nil) {
        self.namespace = namespace
    }

    /// Loads `text` unless it is what the kernel already holds (`force` loads regardless, to
    /// repair rules changed behind the controller's back). Returns whether it loaded. A failure
    /// forgets what was loaded, so the next sync loads again.
    @discardableResult
    package func apply(_ text: String, force: Bool = false) async throws -> Bool {
        if !force, text == loaded { return false }
        loaded = nil
        try await load(text)
        loaded = text
        return true
    }

    package nonisolated var location: String { "nftables table \(NftPolicyBuilder.qualifiedTable)" }

    package func load(_ set: PolicyRuleSet, force: Bool) async throws -> PolicyLoad? {
        let output = NftPolicyBuilder().build(set)
        guard try await apply(output.text, force: force) else { return nil }
        return PolicyLoad(rules: output.rules, isolatedPods: output.isolatedPods, containers: output.sets)
    }

    private func load(_ text: String) async throws {
        try await NftFile.load(text, prefix: "kyvern-policy", namespace: namespace)
    }

    /// Deletes the table. Works in a cancelled task too (shutdown), so no Subprocess.
    package func removeAll() throws {
        try NftFile.loadUncancellable(NftPolicyBuilder.removal, prefix: "kyvern-policy", namespace: namespace)
        loaded = nil
    }
}
