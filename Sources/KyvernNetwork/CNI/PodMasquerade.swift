import Foundation
import Synchronization

/// One node-wide NAT rule that masquerades traffic leaving the pod range, instead of the bridge
/// plugin's per-pod rule and chain (`ipMasq`), which cost every pod start about 45 ms of
/// iptables work and every pod removal as much again.
///
/// The rule is checked at most once per `recheckInterval`, so a start that follows a recent check
/// spawns no iptables at all; a rule removed by hand comes back within that interval.
final class PodMasquerade: Sendable {
    let podRange: PodCIDRSource
    let recheckInterval: TimeInterval
    private let lastEnsured = Mutex<Date?>(nil)

    static let comment = "kyvern: masquerade traffic leaving the pod network"

    init(podRange: PodCIDRSource, recheckInterval: TimeInterval = 30) {
        self.podRange = podRange
        self.recheckInterval = recheckInterval
    }

    convenience init(podCIDR: String, recheckInterval: TimeInterval = 30) {
        self.init(podRange: PodCIDRSource(podCIDR), recheckInterval: recheckInterval)
    }

    /// The rule's words after the chain name (for `-C`, `-A` and `-D`).
    var ruleSpecification: [String] {
        Self.ruleSpecification(podRange.current ?? "")
    }

    static func ruleSpecification(_ podCIDR: String) -> [String] {
        ["-s", podCIDR, "!", "-d", podCIDR, "-m", "comment", "--comment", Self.comment, "-j", "MASQUERADE"]
    }

    /// Adds the rule unless it is there.
    func ensure(now: Date = Date()) async throws {
        if let last = lastEnsured.withLock({ $0 }), now.timeIntervalSince(last) < recheckInterval { return }
        let rule = Self.ruleSpecification(try await podRange.value())
        if try await !Self.present(rule) {
            try await IptablesCleanup.iptables(["-t", "nat", "-A", "POSTROUTING"] + rule)
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
