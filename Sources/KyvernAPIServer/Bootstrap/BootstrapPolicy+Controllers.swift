import KyvernAPI

/// Upstream's controller roles: `system:controller:<account>` for each controller, bound to
/// ServiceAccount `kube-system/<account>`, which the controller manager acts as with
/// `--use-service-account-credentials`. The rules are upstream's; Kyvern additions are marked.
extension BootstrapPolicy {
    static let controllerRolePrefix = "system:controller:"

    /// Recording Events, which every controller does.
    static let recordEvents = rule(["create", "update", "patch"], ["", "events.k8s.io"], ["events"])

    static let controllerRoles: [Role] = [
        controller("clusterrole-aggregation-controller", [
            rule(["escalate", "get", "list", "watch", "update", "patch"], ["rbac.authorization.k8s.io"], ["clusterroles"]),
        ]),
        controller("cronjob-controller", [
            rule(["get", "list", "watch", "update"], ["batch"], ["cronjobs"]),
            rule(["get", "list", "watch", "create", "update", "delete", "patch"], ["batch"], ["jobs"]),
            rule(["update"], ["batch"], ["cronjobs/status", "cronjobs/finalizers"]),
            rule(["list", "watch", "delete"], [""], ["pods"]),
            recordEvents,
        ]),
        controller("daemon-set-controller", [
            rule(["get", "list", "watch"], ["apps", "extensions"], ["daemonsets"]),
            rule(["update"], ["apps", "extensions"], ["daemonsets/status", "daemonsets/finalizers"]),
            rule(["list", "watch"], [""], ["nodes"]),
            rule(["list", "watch", "create", "delete", "patch"], [""], ["pods"]),
            rule(["create"], [""], ["pods/binding"]),
            rule(["get", "list", "watch", "create", "delete", "update", "patch"], ["apps"], ["controllerrevisions"]),
            recordEvents,
        ]),
        controller("deployment-controller", [
            rule(["get", "list", "watch", "update"], ["apps", "extensions"], ["deployments"]),
            rule(["update"], ["apps", "extensions"], ["deployments/status", "deployments/finalizers"]),
            // Kyvern: the revision annotation is a metadata patch (upstream's rides on an update).
            rule(["patch"], ["apps"], ["deployments"]),
            rule(["get", "list", "watch", "create", "update", "patch", "delete"], ["apps", "extensions"], ["replicasets"]),
            rule(["get", "list", "watch", "update"], [""], ["pods"]),
            recordEvents,
        ]),
        controller("disruption-controller", [
            rule(["get", "list", "watch"], ["apps", "extensions"], ["deployments", "replicasets"]),
            rule(["get", "list", "watch"], [""], ["replicationcontrollers"]),
            rule(["get", "list", "watch"], ["policy"], ["poddisruptionbudgets"]),
            rule(["get", "list", "watch"], ["apps"], ["statefulsets"]),
            rule(["update"], ["policy"], ["poddisruptionbudgets/status"]),
            rule(["patch", "update"], [""], ["pods/status"]),
            rule(["get"], ["*"], ["*/scale"]),
            recordEvents,
        ]),
        controller("endpoint-controller", [
            rule(["get", "list", "watch"], [""], ["services", "pods"]),
            rule(["get", "list", "watch", "create", "update", "delete"], [""], ["endpoints"]),
            rule(["create"], [""], ["endpoints/restricted"]),
            recordEvents,
        ]),
        controller("endpointslice-controller", [
            rule(["get", "list", "watch"], [""], ["services", "pods", "nodes"]),
            rule(["update"], [""], ["services/finalizers"]),
            rule(["get", "list", "watch", "create", "update", "delete"], ["discovery.k8s.io"], ["endpointslices"]),
            recordEvents,
        ]),
        controller("endpointslicemirroring-controller", [
            rule(["get", "list", "watch"], [""], ["services", "endpoints"]),
            rule(["update"], [""], ["services/finalizers", "endpoints/finalizers"]),
            rule(["get", "list", "watch", "create", "update", "delete"], ["discovery.k8s.io"], ["endpointslices"]),
            recordEvents,
        ]),
        controller("expand-controller", [
            rule(["get", "list", "watch", "update", "patch"], [""], ["persistentvolumes"]),
            rule(["update", "patch"], [""], ["persistentvolumeclaims/status"]),
            rule(["get", "list", "watch"], [""], ["persistentvolumeclaims"]),
            recordEvents,
        ]),
        controller("generic-garbage-collector", [
            rule(["get", "list", "watch", "patch", "update", "delete"], ["*"], ["*"]),
            recordEvents,
        ]),
        controller("horizontal-pod-autoscaler", [
            rule(["get", "list", "watch"], ["autoscaling"], ["horizontalpodautoscalers"]),
            rule(["update"], ["autoscaling"], ["horizontalpodautoscalers/status"]),
            rule(["get", "update"], ["*"], ["*/scale"]),
            rule(["list", "watch"], [""], ["pods"]),
            rule(["list", "watch"], ["metrics.k8s.io"], ["pods"]),
            rule(["get", "list", "watch"], ["custom.metrics.k8s.io", "external.metrics.k8s.io"], ["*"]),
            recordEvents,
        ]),
        controller("job-controller", [
            rule(["get", "list", "watch", "update", "patch"], ["batch"], ["jobs"]),
            rule(["update"], ["batch"], ["jobs/status", "jobs/finalizers"]),
            rule(["list", "watch", "create", "delete", "patch"], [""], ["pods"]),
            recordEvents,
        ]),
        controller("namespace-controller", [
            rule(["get", "list", "watch", "delete"], [""], ["namespaces"]),
            rule(["update"], [""], ["namespaces/finalize", "namespaces/status"]),
            rule(["get", "list", "watch", "delete", "deletecollection"], ["*"], ["*"]),
        ]),
        controller("node-controller", [
            rule(["get", "list", "watch", "update", "delete", "patch"], [""], ["nodes"]),
            rule(["patch", "update"], [""], ["nodes/status"]),
            rule(["patch", "update"], [""], ["pods/status"]),
            rule(["list", "watch", "get", "delete"], [""], ["pods"]),
            recordEvents,
        ]),
        controller("persistent-volume-binder", [
            rule(["get", "list", "watch", "update", "create", "delete"], [""], ["persistentvolumes"]),
            rule(["update"], [""], ["persistentvolumes/status"]),
            rule(["get", "list", "watch", "update"], [""], ["persistentvolumeclaims"]),
            rule(["update"], [""], ["persistentvolumeclaims/status"]),
            rule(["list", "watch", "get", "create", "delete"], [""], ["pods"]),
            rule(["get", "list", "watch"], ["storage.k8s.io"], ["storageclasses"]),
            rule(["list", "watch"], [""], ["nodes"]),
            rule(["watch"], [""], ["events"]),
            recordEvents,
        ]),
        controller("pod-garbage-collector", [
            rule(["list", "watch", "delete"], [""], ["pods"]),
            rule(["get", "list", "watch"], [""], ["nodes"]),
            rule(["patch"], [""], ["pods/status"]),
        ]),
        controller("replicaset-controller", [
            rule(["get", "list", "watch", "update"], ["apps", "extensions"], ["replicasets"]),
            rule(["update"], ["apps", "extensions"], ["replicasets/status", "replicasets/finalizers"]),
            rule(["list", "watch", "patch", "create", "delete"], [""], ["pods"]),
            recordEvents,
        ]),
        controller("replication-controller", [
            rule(["get", "list", "watch", "update"], [""], ["replicationcontrollers"]),
            rule(["update"], [""], ["replicationcontrollers/status", "replicationcontrollers/finalizers"]),
            rule(["list", "watch", "patch", "create", "delete"], [""], ["pods"]),
            recordEvents,
        ]),
        controller("resourcequota-controller", [
            rule(["list", "watch"], ["*"], ["*"]),
            rule(["update"], [""], ["resourcequotas/status"]),
            recordEvents,
        ]),
        controller("service-account-controller", [
            rule(["create"], [""], ["serviceaccounts"]),
            // Kyvern: it checks the namespace and the account with reads (upstream's use its informers).
            rule(["get"], [""], ["namespaces", "serviceaccounts"]),
            recordEvents,
        ]),
        controller("statefulset-controller", [
            rule(["list", "watch"], [""], ["pods"]),
            rule(["get", "list", "watch"], ["apps"], ["statefulsets"]),
            rule(["update"], ["apps"], ["statefulsets/status", "statefulsets/finalizers"]),
            rule(["get", "create", "delete", "update", "patch"], [""], ["pods"]),
            rule(["get", "create", "delete", "update", "patch", "list", "watch"], ["apps"], ["controllerrevisions"]),
            rule(["get", "create", "list", "watch", "update", "delete"], [""], ["persistentvolumeclaims"]),
            // Kyvern: a claim's retention-policy owner references are set by a merge patch.
            rule(["patch"], [""], ["persistentvolumeclaims"]),
            rule(["update"], [""], ["pods/finalizers"]),
            recordEvents,
        ]),
        controller("certificate-controller", [
            rule(["get", "list", "watch", "delete"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
            rule(["update"], ["certificates.k8s.io"],
                 ["certificatesigningrequests/status", "certificatesigningrequests/approval"]),
            // Kyvern: also its nodes' Ingress controller certificates (kyvern.io/ingress-client).
            rule(["approve"], ["certificates.k8s.io"], ["signers"],
                 names: ["kubernetes.io/kube-apiserver-client-kubelet", "kyvern.io/ingress-client"]),
            rule(["sign"], ["certificates.k8s.io"], ["signers"], names: [
                "kubernetes.io/legacy-unknown", "kubernetes.io/kube-apiserver-client",
                "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving", "kyvern.io/ingress-client",
            ]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            recordEvents,
        ]),
        controller("pvc-protection-controller", [
            rule(["get", "list", "watch", "update"], [""], ["persistentvolumeclaims"]),
            rule(["list", "watch", "get"], [""], ["pods"]),
            recordEvents,
        ]),
        controller("pv-protection-controller", [
            rule(["get", "list", "watch", "update"], [""], ["persistentvolumes"]),
            recordEvents,
        ]),
        controller("service-controller", [
            rule(["get", "list", "watch"], [""], ["services"]),
            rule(["patch", "update"], [""], ["services/status"]),
            rule(["list", "watch"], [""], ["nodes"]),
            recordEvents,
        ]),
        controller("ttl-after-finished-controller", [
            rule(["get", "list", "watch", "delete"], ["batch"], ["jobs"]),
            recordEvents,
        ]),
        controller("root-ca-cert-publisher", [
            rule(["create", "update"], [""], ["configmaps"]),
            recordEvents,
        ]),
    ]

    /// Each controller role bound to the ServiceAccount of its name in kube-system.
    static let controllerRoleBindings: [Binding] = controllerRoles.map { role in
        Binding(name: role.name, role: role.name,
                subjects: [("ServiceAccount", String(role.name.dropFirst(controllerRolePrefix.count)), "kube-system")])
    }

    static func controller(_ account: String, _ rules: [PolicyRule]) -> Role {
        Role(name: controllerRolePrefix + account, rules: rules)
    }
}
