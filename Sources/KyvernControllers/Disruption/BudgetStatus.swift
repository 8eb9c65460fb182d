import Foundation
import KyvernAPI

/// A PodDisruptionBudget's status computed from its pods (upstream's disruption controller):
/// how many pods are expected, how many must stay healthy, how many are, and so how many may be
/// disrupted now.
enum BudgetStatus {
    /// How long an eviction's entry in `disruptedPods` holds a pod out of the healthy count when
    /// its deletion is not yet seen (upstream's DeletionTimeout).
    static let deletionTimeout: TimeInterval = 120

    struct Counts: Equatable, Sendable {
        var expected: Int
        var desiredHealthy: Int
    }

    /// Expected pods and desired healthy ones. `scale` is the sum of the replica counts of the
    /// pods' controllers, nil when some pod has none (then only an integer `minAvailable` works).
    static func counts(_ pdb: JSONValue, pods: [JSONValue], scale: Int?) throws -> Counts {
        let spec = pdb["spec"]
        if let maxUnavailable = spec?["maxUnavailable"] {
            guard let scale else { throw BudgetError.noController }
            let unavailable = try RolloutBounds.scaledValue(maxUnavailable, total: scale, roundUp: true)
            return Counts(expected: scale, desiredHealthy: max(0, scale - unavailable))
        }
        if let minAvailable = spec?["minAvailable"] {
            if let count = minAvailable.intValue { return Counts(expected: pods.count, desiredHealthy: Int(count)) }
            guard let scale else { throw BudgetError.noController }
            return Counts(expected: scale, desiredHealthy: try RolloutBounds.scaledValue(minAvailable, total: scale, roundUp: true))
        }
        return Counts(expected: pods.count, desiredHealthy: 0)
    }

    /// Entries of `disruptedPods` still pending: the pod exists, is not deleting, and the eviction
    /// is younger than the deletion timeout.
    static func pendingDisruptions(_ pdb: JSONValue, pods: [JSONValue], now: Date) -> [String: JSONValue] {
        let live = Dictionary(pods.map { ($0.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        var pending: [String: JSONValue] = [:]
        for (name, stamp) in pdb[path: ["status", "disruptedPods"]]?.objectValue ?? [:] {
            guard let pod = live[name], pod.deletionTimestamp == nil,
                  let time = stamp.stringValue.flatMap(Timestamp.parse),
                  now.timeIntervalSince(time) < deletionTimeout else { continue }
            pending[name] = stamp
        }
        return pending
    }

    /// The whole status for `pdb` (or the fail-safe status with no disruption allowed when
    /// `failure` says why the counts are unknown).
    static func compute(_ pdb: JSONValue, pods: [JSONValue], scale: Int?, now: Date) -> JSONValue {
        let disrupted = pendingDisruptions(pdb, pods: pods, now: now)
        let healthy = pods.filter { $0.deletionTimestamp == nil && PodState.isReady($0) && disrupted[$0.name ?? ""] == nil }.count
        let generation = pdb[path: ["metadata", "generation"]] ?? 0
        var status: JSONValue = ["observedGeneration": generation, "currentHealthy": .int(Int64(healthy))]
        let condition: JSONValue
        do {
            let counts = try counts(pdb, pods: pods, scale: scale)
            let allowed = counts.expected <= 0 ? 0 : max(0, healthy - counts.desiredHealthy)
            status["desiredHealthy"] = .int(Int64(counts.desiredHealthy))
            status["expectedPods"] = .int(Int64(counts.expected))
            status["disruptionsAllowed"] = .int(Int64(allowed))
            condition = allowed > 0
                ? ["type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods", "message": ""]
                : ["type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": ""]
        } catch {
            status["desiredHealthy"] = pdb[path: ["status", "desiredHealthy"]] ?? 0
            status["expectedPods"] = pdb[path: ["status", "expectedPods"]] ?? 0
            status["disruptionsAllowed"] = 0
            condition = ["type": "DisruptionAllowed", "status": "False", "reason": "SyncFailed", "message": .string("\(error)")]
        }
        if !disrupted.isEmpty { status["disruptedPods"] = .object(disrupted) }
        status["conditions"] = [withTransition(condition, previous: pdb, generation: generation, now: now)]
        return status
    }

    /// `condition` with its `observedGeneration` and a transition time kept from the previous one
    /// of the same status.
    static func withTransition(_ condition: JSONValue, previous pdb: JSONValue, generation: JSONValue, now: Date) -> JSONValue {
        var condition = condition
        condition["observedGeneration"] = generation
        let old = pdb[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"] == "DisruptionAllowed" }
        if let old, old["status"] == condition["status"], let time = old["lastTransitionTime"] {
            condition["lastTransitionTime"] = time
        } else {
            condition["lastTransitionTime"] = .string(Timestamp.format(now))
        }
        return condition
    }
}

enum BudgetError: Error, CustomStringConvertible {
    case noController

    var description: String { "found no controllers for pod" }
}
