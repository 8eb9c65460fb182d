/// The label, annotation and condition strings the deployment controller shares with kubectl and users.
///
/// `kubectl rollout history|undo|status` read exactly these keys, so they are upstream's spelling.
enum DeploymentKeys {
    /// Added to a ReplicaSet's selector, labels and pod template so sibling ReplicaSets never overlap.
    static let podTemplateHash = "pod-template-hash"
    static let revision = "deployment.kubernetes.io/revision"
    /// Comma-separated revisions a ReplicaSet held before a rollback made it new again.
    static let revisionHistory = "deployment.kubernetes.io/revision-history"
    static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    static let maxReplicas = "deployment.kubernetes.io/max-replicas"
    static let deprecatedRollbackTo = "deprecated.deployment.rollback.to"
    static let lastAppliedConfiguration = "kubectl.kubernetes.io/last-applied-configuration"

    /// Deployment annotations never copied onto ReplicaSets: the controller owns them per object.
    static let annotationsNotCopied: Set<String> = [
        lastAppliedConfiguration, revision, revisionHistory, desiredReplicas, maxReplicas, deprecatedRollbackTo,
    ]

    /// Upper bound of the `revision-history` annotation's length, as upstream caps it.
    static let maxRevisionHistoryLength = 2000

    /// `progressDeadlineSeconds` at this value means "no deadline" (upstream's MaxInt32 sentinel).
    static let noProgressDeadline = Int(Int32.max)
}

/// Reasons of the Deployment's `Available` and `Progressing` conditions (and of its events). Upstream
/// spells each as its case name with a capital first letter, so the spelling is written once, here.
enum DeploymentReason: String, CaseIterable {
    case minimumReplicasAvailable, minimumReplicasUnavailable, newReplicaSetCreated, foundNewReplicaSet,
         replicaSetUpdated, newReplicaSetAvailable, progressDeadlineExceeded, deploymentPaused, deploymentResumed,
         replicaSetCreateError

    /// Upstream's spelling, e.g. "MinimumReplicasAvailable".
    var text: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}
