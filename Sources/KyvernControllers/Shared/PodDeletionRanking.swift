import Foundation
import KyvernAPI

/// Orders pods from the first to delete to the last (upstream's `ActivePodsWithRanks`).
///
/// Scaling down removes the pods whose loss hurts least: unscheduled before scheduled, pending
/// before running, not ready before ready, cheaper `pod-deletion-cost` first, pods doubled up on
/// a node first, then the most recently ready and the newest (compared on a logarithmic scale, so
/// pods of similar age are chosen among at random by uid rather than strictly by age).
struct PodDeletionRanking {
    var now: Date

    static let deletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

    /// `pods` ordered for deletion; `related` are the pods of the owner and of its siblings (the
    /// other ReplicaSets of its Deployment), whose spread over nodes sets each pod's rank.
    static func sorted(_ pods: [JSONValue], related: [JSONValue], now: Date) -> [JSONValue] {
        var perNode: [String: Int] = [:]
        for pod in related where PodState.isActive(pod) {
            let node = PodState.nodeName(pod)
            if !node.isEmpty { perNode[node, default: 0] += 1 }
        }
        let ranked = pods.map { pod -> (JSONValue, Int) in
            let node = PodState.nodeName(pod)
            return (pod, node.isEmpty ? 0 : perNode[node] ?? 0)
        }
        let ranking = PodDeletionRanking(now: now)
        return ranked.sorted { ranking.less($0.0, rank: $0.1, $1.0, rank: $1.1) }.map(\.0)
    }

    private static func phaseOrdinal(_ pod: JSONValue) -> Int {
        switch PodState.phase(pod) {
        case "Unknown": 1
        case "Running": 2
        default: 0
        }
    }

    private static func deletionCost(_ pod: JSONValue) -> Int64 {
        pod.annotations[deletionCostAnnotation].flatMap { Int64($0) } ?? 0
    }

    /// True when `a` should be deleted before `b`.
    func less(_ a: JSONValue, rank ra: Int, _ b: JSONValue, rank rb: Int) -> Bool {
        // 1. Unassigned < assigned.
        let na = PodState.nodeName(a), nb = PodState.nodeName(b)
        if na != nb && (na.isEmpty || nb.isEmpty) { return na.isEmpty }
        // 2. Pending < Unknown < Running.
        let pa = Self.phaseOrdinal(a), pb = Self.phaseOrdinal(b)
        if pa != pb { return pa < pb }
        // 3. Not ready < ready.
        let ra1 = PodState.isReady(a), rb1 = PodState.isReady(b)
        if ra1 != rb1 { return !ra1 }
        // 4. Lower deletion cost < higher.
        let ca = Self.deletionCost(a), cb = Self.deletionCost(b)
        if ca != cb { return ca < cb }
        // 5. Doubled up < not doubled up.
        if ra != rb { return ra > rb }
        // 6. Ready for less time < longer.
        if ra1 && rb1 {
            let ta = PodState.readySince(a), tb = PodState.readySince(b)
            if ta != tb, let r = compareTimes(ta, tb, a, b) { return r }
        }
        // 7. More restarts < fewer.
        let ma = PodState.maxContainerRestarts(a), mb = PodState.maxContainerRestarts(b)
        if ma != mb { return ma > mb }
        // 8. Newer < older.
        let cta = a.creationTimestamp.flatMap(Timestamp.parse), ctb = b.creationTimestamp.flatMap(Timestamp.parse)
        if cta != ctb, let r = compareTimes(cta, ctb, a, b) { return r }
        return false
    }

    /// Later (or missing) time first, compared by the base-2 logarithm of the age; equal buckets
    /// fall back to the uid so the choice among pods of similar age is spread.
    private func compareTimes(_ ta: Date?, _ tb: Date?, _ a: JSONValue, _ b: JSONValue) -> Bool? {
        guard let ta, let tb else { return ta == nil }
        let diff = Self.logBucket(now.timeIntervalSince(ta)) - Self.logBucket(now.timeIntervalSince(tb))
        if diff == 0 { return (a.uid ?? "") < (b.uid ?? "") }
        return diff < 0
    }

    /// floor(log2(age in nanoseconds)), -1 for no age.
    static func logBucket(_ age: TimeInterval) -> Int {
        let nanos = age * 1e9
        guard nanos >= 1 else { return -1 }
        return Int(log2(nanos).rounded(.down))
    }
}
