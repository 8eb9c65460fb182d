import KyvernAPI

/// Which of a Deployment's ReplicaSets is "new" (runs the current template) and which are old.
enum ReplicaSetSelection {
    /// The oldest ReplicaSet whose template equals the Deployment's, ignoring `pod-template-hash`
    /// (after an upgrade two may match; the oldest wins deterministically, as upstream).
    static func newReplicaSet(of deployment: DeploymentObject, in replicaSets: [ReplicaSetObject]) -> ReplicaSetObject? {
        let template = deployment.template
        return replicaSets.sorted(by: ReplicaSetOrder.byCreation).first {
            TemplateEquality.equalIgnoringHash($0.template, template)
        }
    }

    /// Every ReplicaSet but the new one, in the order given.
    static func oldReplicaSets(of deployment: DeploymentObject, in replicaSets: [ReplicaSetObject]) -> [ReplicaSetObject] {
        let newUID = newReplicaSet(of: deployment, in: replicaSets)?.uid
        return replicaSets.filter { newUID == nil || $0.uid != newUID }
    }

    /// With at most one active ReplicaSet, the one a plain scale should resize: the active one, or
    /// if none is active the new one, or else the newest old one. nil when several are active.
    static func activeOrLatest(newRS: ReplicaSetObject?, oldRSs: [ReplicaSetObject]) -> ReplicaSetObject? {
        if newRS == nil && oldRSs.isEmpty { return nil }
        let newestFirst = oldRSs.sorted { ReplicaSetOrder.byCreation($1, $0) }
        let active = (newestFirst + (newRS.map { [$0] } ?? [])).active
        switch active.count {
        case 0: return newRS ?? newestFirst.first
        case 1: return active[0]
        default: return nil
        }
    }

    /// The new ReplicaSet already runs the full, available count it was last sized for.
    static func isSaturated(_ deployment: DeploymentObject, _ rs: ReplicaSetObject?) -> Bool {
        guard let rs, let desired = RevisionAnnotations.desiredReplicas(rs) else { return false }
        return rs.replicas == deployment.replicas && desired == deployment.replicas
            && rs.availableReplicas == deployment.replicas
    }

    /// A ReplicaSet's replicas changed by the Deployment's `replicas`, not by its template: some
    /// active ReplicaSet was sized for a different count.
    static func isScalingEvent(_ deployment: DeploymentObject, newRS: ReplicaSetObject?, oldRSs: [ReplicaSetObject]) -> Bool {
        let all = oldRSs + (newRS.map { [$0] } ?? [])
        return all.active.contains { rs in
            guard let desired = RevisionAnnotations.desiredReplicas(rs) else { return false }
            return desired != deployment.replicas
        }
    }
}
