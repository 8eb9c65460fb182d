import KyvernAPI

/// The revision bookkeeping kubectl's `rollout history` and `rollout undo` read.
///
/// Each ReplicaSet carries the revision at which it last became the Deployment's new ReplicaSet;
/// when a rollback makes an old ReplicaSet new again it gets the next revision and remembers its
/// previous ones in `revision-history`. `desired-replicas`/`max-replicas` record the Deployment's
/// size when a ReplicaSet was last scaled, the base of proportional scaling.
enum RevisionAnnotations {
    /// The highest revision among `replicaSets` (0 when none has one).
    static func maxRevision(_ replicaSets: [ReplicaSetObject]) -> Int64 {
        replicaSets.compactMap(\.revision).max() ?? 0
    }

    /// Copies the Deployment's annotations (except the controller's own) onto the ReplicaSet.
    @discardableResult
    static func copyDeploymentAnnotations(from deployment: DeploymentObject, to rs: inout ReplicaSetObject) -> Bool {
        var annotations = rs.annotations
        var changed = false
        for (key, value) in deployment.annotations where !DeploymentKeys.annotationsNotCopied.contains(key) {
            if annotations[key] != value {
                annotations[key] = value
                changed = true
            }
        }
        if changed { rs.annotations = annotations }
        return changed
    }

    /// Upstream's `SetNewReplicaSetAnnotations`: copy the Deployment's annotations, raise the
    /// revision to `newRevision` (keeping the old one in `revision-history`), and on creation record
    /// the replica annotations. Returns whether anything changed.
    static func setNewReplicaSetAnnotations(deployment: DeploymentObject, rs: inout ReplicaSetObject,
                                            newRevision: Int64, exists: Bool) -> Bool {
        var changed = copyDeploymentAnnotations(from: deployment, to: &rs)
        var annotations = rs.annotations
        let oldText = annotations[DeploymentKeys.revision]
        let oldRevision: Int64
        if let oldText {
            guard let parsed = Int64(oldText) else { return false }
            oldRevision = parsed
        } else {
            oldRevision = 0
        }
        if oldRevision < newRevision {
            annotations[DeploymentKeys.revision] = String(newRevision)
            changed = true
            if let oldText {
                annotations[DeploymentKeys.revisionHistory] = appendedHistory(annotations[DeploymentKeys.revisionHistory] ?? "",
                                                                              oldText) ?? annotations[DeploymentKeys.revisionHistory]
            }
        }
        rs.annotations = annotations
        if !exists && setReplicasAnnotations(&rs, desired: deployment.replicas, max: deployment.replicas + deployment.maxSurge) {
            changed = true
        }
        return changed
    }

    /// `history` with `revision` appended, dropping the oldest entries to stay within the length
    /// limit; nil if even that cannot make it fit.
    static func appendedHistory(_ history: String, _ revision: String) -> String? {
        if history.isEmpty { return revision }
        var entries = history.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var total = history.count + revision.count + 1
        var start = 0
        while total > DeploymentKeys.maxRevisionHistoryLength && start < entries.count {
            total -= entries[start].count + 1
            start += 1
        }
        guard total <= DeploymentKeys.maxRevisionHistoryLength else { return nil }
        entries = Array(entries[start...]) + [revision]
        return entries.joined(separator: ",")
    }

    static func replicasAnnotationsNeedUpdate(_ rs: ReplicaSetObject, desired: Int, max: Int) -> Bool {
        let annotations = rs.annotations
        return annotations[DeploymentKeys.desiredReplicas] != String(desired)
            || annotations[DeploymentKeys.maxReplicas] != String(max)
    }

    @discardableResult
    static func setReplicasAnnotations(_ rs: inout ReplicaSetObject, desired: Int, max: Int) -> Bool {
        guard replicasAnnotationsNeedUpdate(rs, desired: desired, max: max) else { return false }
        var annotations = rs.annotations
        annotations[DeploymentKeys.desiredReplicas] = String(desired)
        annotations[DeploymentKeys.maxReplicas] = String(max)
        rs.annotations = annotations
        return true
    }

    static func desiredReplicas(_ rs: ReplicaSetObject) -> Int? {
        rs.annotations[DeploymentKeys.desiredReplicas].flatMap { Int($0) }
    }

    static func maxReplicas(_ rs: ReplicaSetObject) -> Int? {
        rs.annotations[DeploymentKeys.maxReplicas].flatMap { Int($0) }
    }
}
