import Foundation
import Synchronization

/// One node-wide NAT rule that masquerades traffic leaving the pod range, instead of the bridge
/// plugin's per-pod rule and chain (`ipMasq`), which cost every pod start about 45 ms of
/// iptables work and every pod removal as much again.
///
/// The rule is checked at most once per `recheckInterval`, so a start that follows a recent check
/// spawns no iptables at all; a rule removed by hand comes back within that interval.
///
/// Traffic to the rest of the cluster's pod range (`clusterCIDR`, when this node's range lies in
/// it) keeps its pod source address, as upstream CNIs keep it: a NetworkPolicy on another node
/// must see which pod is talking.
final class PodMasquerade: Sendable {
    let podRange: PodCIDRSource
    let clusterCIDR: String?
    let recheckInterval: TimeInterval
    private let lastEnsured = Mutex<Date?>(nil)

    static let comment = "kyvern: masquerade traffic leaving the pod network"

    init(podRange: PodCIDRSource, clusterCIDR: String? = nil, recheckInterval: TimeInterval = 30) {
        self.podRange = podRange
        self.clusterCIDR = clusterCIDR
        self.recheckInterval = recheckInterval
    }

    convenience init(podCIDR: String, clusterCIDR: String? = nil, recheckInterval: TimeInterval = 30) {
        self.init(podRange: PodCIDRSource(podCIDR), clusterCIDR: clusterCIDR, recheckInterval: recheckInterval)
    }

    /// The rule's words after the chain name (for `-C`, `-A` and `-D`).
    var ruleSpecification: [String] {
        let podCIDR = podRange.current ?? ""
        return Self.ruleSpecification(podCIDR, exempt: Self.exempt(podCIDR: podCIDR, clusterCIDR: clusterCIDR))
    }

    static func ruleSpecification(_ podCIDR: String, exempt: String? = nil) -> [String] {
        ["-s", podCIDR, "!", "-d", exempt ?? podCIDR, "-m", "comment", "--comment", Self.comment, "-j", "MASQUERADE"]
    }

    /// The range traffic to which is not masqueraded: the cluster's when this node's lies in it.
    static func exempt(podCIDR: String, clusterCIDR: String?) -> String {
        if let clusterCIDR, let cluster = IPv4Network(clusterCIDR), let pods = IPv4Network(podCIDR), cluster.contains(pods) {
            return cluster.description
        }
        return podCIDR
    }

    /// Adds the rule unless it is there, and removes the node-range-only rule of earlier versions.
    func ensure(now: Date = Date()) async throws {
        if let last = lastEnsured.withLock({ $0 }), now.timeIntervalSince(last) < recheckInterval { return }
        let podCIDR = try await podRange.value()
        let rule = Self.ruleSpecification(podCIDR, exempt: Self.exempt(podCIDR: podCIDR, clusterCIDR: clusterCIDR))
        if try await !Self.present(rule) {
            try await IptablesCleanup.iptables(["-t", "nat", "-A", "POSTROUTING"] + rule)
        }
        let older = Self.ruleSpecification(podCIDR)
        if older != rule, try await Self.present(older) {
            try await IptablesCleanup.iptables(["-t", "nat", "-D", "POSTROUTING"] + older)
        }
        lastEnsured.withLock { $0 = now }
    }

    /// Whether POSTROUTING holds the rule, from a listing: `iptables -C` fails the same way for
    /// "no such rule" and for a busy table (another writer's transaction), which added the rule
    /// twice. A failed listing is retried, then thrown.
    static func present(_ rule: [String]) async throws -> Bool {
        var attempt = 0
        while true {
            do {
                let listing = try await IptablesCleanup.iptables(["-t", "nat", "-S", "POSTROUTING"])
                return listing.split(separator: "\n").contains { IptablesCleanup.split(String($0)) == ["-A", "POSTROUTING"] + rule }
            } catch {
                attempt += 1
                if attempt == 3 { throw error }
                try await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
    }
}
