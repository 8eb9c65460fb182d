import KyvernAPI

/// The status a new object of a built-in kind is written with before any controller has touched it.
///
/// Upstream resets status on create and serializes the empty struct, including the fields that
/// are not `omitempty` (a ReplicaSet's `replicas`, a DaemonSet's counts), so a fresh object shows
/// `status: {}` or zeros rather than no status at all.
enum EmptyStatus {
    static func forNewObject(_ info: ResourceInfo) -> JSONValue? {
        switch (info.group, info.resource) {
        case ("apps", "deployments"), ("batch", "jobs"), ("batch", "cronjobs"), ("", "resourcequotas"):
            return [:]
        case ("apps", "replicasets"), ("", "replicationcontrollers"):
            return ["replicas": 0]
        case ("apps", "statefulsets"):
            return ["replicas": 0, "availableReplicas": 0]
        case ("apps", "daemonsets"):
            return ["currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0]
        case ("autoscaling", "horizontalpodautoscalers"):
            return ["desiredReplicas": 0]
        case ("policy", "poddisruptionbudgets"):
            return ["disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0]
        case ("storage.k8s.io", "volumeattachments"):
            return ["attached": false]
        default:
            return nil
        }
    }
}
