import Foundation

/// Pods on one bridge talk below IP: only with `bridge-nf-call-iptables` do their packets pass
/// the forward hook the policy rules filter in (upstream bridge CNIs set it too).
package enum BridgeFiltering {
    package static func enable(namespace: String?) async -> Bool {
        let arguments = ["-q", "-w", "net.bridge.bridge-nf-call-iptables=1"]
        if let namespace {
            return (try? await ProxyCommand.run("ip", ["netns", "exec", namespace, "sysctl"] + arguments)) != nil
        }
        return (try? await ProxyCommand.run("sysctl", arguments)) != nil
    }
}
