/// The ServiceAccount each controller acts as with `--use-service-account-credentials`: upstream's
/// name for it, which is also the name of its ClusterRole `system:controller:<account>`, so a
/// Kyvern controller holds exactly the rights upstream's holds.
public enum ControllerServiceAccounts {
    /// Where the accounts live.
    public static let namespace = "kube-system"

    /// Controller name (``ControllerDefinition/name``) → ServiceAccount name.
    public static let byController: [String: String] = [
        "replicaset": "replicaset-controller",
        "replicationcontroller": "replication-controller",
        "deployment": "deployment-controller",
        "statefulset": "statefulset-controller",
        "daemonset": "daemon-set-controller",
        "job": "job-controller",
        "cronjob": "cronjob-controller",
        "ttl-after-finished": "ttl-after-finished-controller",
        "endpoints": "endpoint-controller",
        "endpointslice": "endpointslice-controller",
        "endpointslicemirroring": "endpointslicemirroring-controller",
        "service-lb-controller": "service-controller",
        "namespace": "namespace-controller",
        // Upstream's spelling (the controller is "serviceaccount-controller", its account not).
        "serviceaccount": "service-account-controller",
        "garbagecollector": "generic-garbage-collector",
        "horizontalpodautoscaling": "horizontal-pod-autoscaler",
        "disruption": "disruption-controller",
        // Node lifecycle, pod ranges and taint-based eviction share upstream's node-controller role.
        "nodelifecycle": "node-controller",
        "nodeipam": "node-controller",
        "tainteviction": "node-controller",
        "persistentvolume-binder": "persistent-volume-binder",
        "persistentvolumeclaim-protection": "pvc-protection-controller",
        "persistentvolume-protection": "pv-protection-controller",
        "resourcequota": "resourcequota-controller",
        "clusterrole-aggregation": "clusterrole-aggregation-controller",
        // Signing, approving and cleaning CSRs all act as upstream's certificate-controller.
        "csrsigning": "certificate-controller",
        "csrapproving": "certificate-controller",
        "csrcleaner": "certificate-controller",
        "root-ca-cert-publisher": "root-ca-cert-publisher",
        "root-ca-certificate-publisher-controller": "root-ca-cert-publisher",
        "podgc": "pod-garbage-collector",
        "persistentvolume-expander": "expand-controller",
    ]

    /// The account of `controller`; a controller missing from the table gets `<name>-controller`,
    /// which holds no role, so its requests are refused visibly instead of running as the manager.
    public static func account(for controller: String) -> String {
        byController[controller] ?? "\(controller)-controller"
    }

    /// The account of `definition`, found by its name or else by one of its aliases.
    public static func account(for definition: ControllerDefinition) -> String {
        for name in [definition.name] + definition.aliases {
            if let account = byController[name] { return account }
        }
        return account(for: definition.name)
    }
}
