import Foundation

/// Loads the policy table through `nft -f` (in a named network namespace when given) and
/// removes it. Remembers the text it last loaded, so a sync that changes nothing costs no load.
package actor NftPolicyBackend {
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

    private func load(_ text: String) async throws {
        try await NftFile.load(text, prefix: "kyvern-policy", namespace: namespace)
    }

    /// Deletes the table. Works in a cancelled task too (shutdown), so no Subprocess.
    package func removeAll() throws {
        try NftFile.loadUncancellable(NftPolicyBuilder.removal, prefix: "kyvern-policy", namespace: namespace)
        loaded = nil
    }

    /// Pods on one bridge talk below IP: only with `bridge-nf-call-iptables` do their packets
    /// pass the forward hook the policy table filters in (upstream bridge CNIs set it too).
    package func enableBridgeFiltering() async -> Bool {
        let arguments = ["-q", "-w", "net.bridge.bridge-nf-call-iptables=1"]
        if let namespace {
            return (try? await ProxyCommand.run("ip", ["netns", "exec", namespace, "sysctl"] + arguments)) != nil
        }
        return (try? await ProxyCommand.run("sysctl", arguments)) != nil
    }
}
