/// The arithmetic of rollouts and scaling, without I/O: given the Deployment and its ReplicaSets,
/// the resizes to make next. Each function mirrors one step of upstream's controller so the
/// sequence of sizes (and so of events) matches it.
enum RolloutPlanner {
    // MARK: rolling update

    /// The size the new ReplicaSet may grow to now: up to `replicas + maxSurge` pods in all, never
    /// above `replicas`. Recreate goes straight to `replicas`.
    ///
    /// Each ReplicaSet counts as the larger of its size and the pods its status still reports:
    /// right after an old ReplicaSet is scaled down its pods live on until the ReplicaSet
    /// controller deletes them, and growing the new one into that room before then would run
    /// more than `replicas + maxSurge` pods (seen under load as 75 pods for 50 + 13).
    static func newReplicaSetSize(_ deployment: DeploymentObject, allRSs: [ReplicaSetObject], newRS: ReplicaSetObject) -> Int {
        guard deployment.isRollingUpdate else { return deployment.replicas }
        let current = allRSs.reduce(0) { $0 + max($1.replicas, $1.statusReplicas) }
        let maxTotal = deployment.replicas + deployment.maxSurge
        if current >= maxTotal { return newRS.replicas }
        let scaleUp = min(maxTotal - current, deployment.replicas - newRS.replicas)
        return newRS.replicas + scaleUp
    }

    /// The resize of the new ReplicaSet towards `replicas`, or nil when it is there (or cannot grow).
    static func reconcileNewReplicaSet(_ deployment: DeploymentObject, allRSs: [ReplicaSetObject], newRS: ReplicaSetObject) -> ScaleStep? {
        if newRS.replicas == deployment.replicas { return nil }
        if newRS.replicas > deployment.replicas { return ScaleStep(newRS, to: deployment.replicas) }
        let size = newReplicaSetSize(deployment, allRSs: allRSs, newRS: newRS)
        return size == newRS.replicas ? nil : ScaleStep(newRS, to: size)
    }

    /// A "cleanup" that would grow a ReplicaSet: its status reports more available pods than its
    /// spec now asks for (status lags a scale-down while the surplus pods terminate). Upstream
    /// refuses the pass with this error and retries once the status caught up.
    struct InvalidCleanup: Error, CustomStringConvertible, Equatable {
        var namespace: String
        var name: String
        var from: Int
        var to: Int
        var description: String {
            "when cleaning up unhealthy replicas, got invalid request to scale down \(namespace)/\(name) \(from) -> \(to)"
        }
    }

    /// Shrinks of old ReplicaSets that keep at least `replicas - maxUnavailable` pods available:
    /// first their unavailable pods (which cost no availability), then available ones down to that
    /// floor, oldest ReplicaSets first. Pods the new ReplicaSet has yet to make available count
    /// against the budget, so a broken new template cannot drain the old pods.
    ///
    /// Throws ``InvalidCleanup`` rather than plan a resize upwards: a ReplicaSet whose status still
    /// counts more available pods than its spec would otherwise be "cleaned up" to a larger size,
    /// pushing the total past `replicas + maxSurge`.
    static func reconcileOldReplicaSets(_ deployment: DeploymentObject, allRSs: [ReplicaSetObject],
                                        oldRSs: [ReplicaSetObject], newRS: ReplicaSetObject) throws(InvalidCleanup) -> [ScaleStep] {
        if oldRSs.totalReplicas == 0 { return [] }
        let allPods = allRSs.totalReplicas
        let minAvailable = deployment.replicas - deployment.maxUnavailable
        let newUnavailable = newRS.replicas - newRS.availableReplicas
        let maxScaledDown = allPods - minAvailable - newUnavailable
        if maxScaledDown <= 0 { return [] }

        var olds = oldRSs.sorted(by: ReplicaSetOrder.byCreation)
        var steps: [ScaleStep] = []
        var cleaned = 0
        for i in olds.indices {
            if cleaned >= maxScaledDown { break }
            let rs = olds[i]
            if rs.replicas == 0 || rs.replicas == rs.availableReplicas { continue }
            let count = min(maxScaledDown - cleaned, rs.replicas - rs.availableReplicas)
            if count < 0 {
                throw InvalidCleanup(namespace: rs.namespace, name: rs.name, from: rs.replicas, to: rs.replicas - count)
            }
            steps.append(ScaleStep(rs, to: rs.replicas - count))
            olds[i].replicas -= count
            cleaned += count
        }
        steps += scaleDownForRollingUpdate(deployment, allRSs: olds + [newRS], oldRSs: olds)
        return steps
    }

    /// Old ReplicaSets shrunk by as many available pods as exceed `replicas - maxUnavailable`.
    static func scaleDownForRollingUpdate(_ deployment: DeploymentObject, allRSs: [ReplicaSetObject],
                                          oldRSs: [ReplicaSetObject]) -> [ScaleStep] {
        let minAvailable = deployment.replicas - deployment.maxUnavailable
        let available = allRSs.totalAvailableReplicas
        if available <= minAvailable { return [] }
        let budget = available - minAvailable
        var done = 0
        var steps: [ScaleStep] = []
        for rs in oldRSs.sorted(by: ReplicaSetOrder.byCreation) {
            if done >= budget { break }
            if rs.replicas == 0 { continue }
            let count = min(rs.replicas, budget - done)
            steps.append(ScaleStep(rs, to: rs.replicas - count))
            done += count
        }
        return steps
    }

    // MARK: scaling (replicas changed, or paused)

    /// Upstream's `scale`: one active ReplicaSet takes the whole count; a saturated new ReplicaSet
    /// leaves the old ones at zero; otherwise a rolling Deployment spreads the change over all
    /// active ReplicaSets in proportion to their size (largest first, the leftover to the largest).
    static func scale(_ deployment: DeploymentObject, newRS: ReplicaSetObject?, oldRSs: [ReplicaSetObject]) -> [ScaleStep] {
        if let target = ReplicaSetSelection.activeOrLatest(newRS: newRS, oldRSs: oldRSs) {
            return target.replicas == deployment.replicas ? [] : [ScaleStep(target, to: deployment.replicas)]
        }
        if ReplicaSetSelection.isSaturated(deployment, newRS) {
            return oldRSs.active.map { ScaleStep($0, to: 0) }
        }
        guard deployment.isRollingUpdate else { return [] }

        var active = (oldRSs + (newRS.map { [$0] } ?? [])).active
        let current = active.totalReplicas
        let allowed = deployment.replicas > 0 ? deployment.replicas + deployment.maxSurge : 0
        let toAdd = allowed - current
        var operation = ""
        if toAdd > 0 {
            active.sort(by: ReplicaSetOrder.bySizeNewer)
            operation = "up"
        } else if toAdd < 0 {
            active.sort(by: ReplicaSetOrder.bySizeOlder)
            operation = "down"
        }
        var sizes = active.map(\.replicas)
        var added = 0
        if toAdd != 0 {
            for (i, rs) in active.enumerated() {
                let share = proportion(of: rs, deployment, toAdd: toAdd, added: added)
                sizes[i] += share
                added += share
            }
            if !sizes.isEmpty { sizes[0] = max(0, sizes[0] + toAdd - added) }
        }
        return zip(active, sizes).map { ScaleStep($0, to: $1, proportionalOperation: operation) }
    }

    /// This ReplicaSet's share of `toAdd`, bounded so the shares never overshoot it.
    static func proportion(of rs: ReplicaSetObject, _ deployment: DeploymentObject, toAdd: Int, added: Int) -> Int {
        if rs.replicas == 0 || toAdd == 0 || toAdd == added { return 0 }
        let fraction = fraction(of: rs, deployment)
        let allowed = toAdd - added
        return toAdd > 0 ? min(fraction, allowed) : max(fraction, allowed)
    }

    /// How much this ReplicaSet should grow (or shrink) to keep its share of the Deployment's
    /// maximum size, from the maximum it was sized for (`max-replicas`).
    static func fraction(of rs: ReplicaSetObject, _ deployment: DeploymentObject) -> Int {
        if deployment.replicas == 0 { return -rs.replicas }
        let maxNow = deployment.replicas + deployment.maxSurge
        var maxBefore = RevisionAnnotations.maxReplicas(rs) ?? 0
        if maxBefore == 0 {
            maxBefore = deployment.status.replicas
            if maxBefore == 0 { return 0 }
        }
        let scaled = Double(rs.replicas * maxNow) / Double(maxBefore)
        return Int(scaled.rounded(.toNearestOrAwayFromZero)) - rs.replicas
    }

    // MARK: history

    /// Old ReplicaSets beyond `revisionHistoryLimit` that may go: lowest revisions first, and only
    /// those fully scaled down, observed by their controller and not already being deleted.
    static func historyToDelete(_ deployment: DeploymentObject, oldRSs: [ReplicaSetObject]) -> [ReplicaSetObject] {
        guard let limit = deployment.revisionHistoryLimit else { return [] }
        let cleanable = oldRSs.filter { !$0.isBeingDeleted }
        let excess = cleanable.count - limit
        if excess <= 0 { return [] }
        return cleanable.sorted(by: ReplicaSetOrder.byRevision).prefix(excess).filter {
            $0.statusReplicas == 0 && $0.replicas == 0 && $0.generation <= $0.observedGeneration
        }
    }
}
