import KyvernAPI

/// The default roles and bindings every upstream cluster starts with (its `bootstrap-roles` hook),
/// plus Kyvern's node-agent grant. The rules follow upstream's bootstrap policy.
extension BootstrapPolicy {
    static let read = ["get", "list", "watch"]
    static let write = ["create", "update", "patch", "delete", "deletecollection"]
    static let readWrite = read + write

    static func rule(_ verbs: [String], _ groups: [String], _ resources: [String], names: [String] = []) -> PolicyRule {
        PolicyRule(verbs: verbs, apiGroups: groups, resources: resources, resourceNames: names)
    }

    static func urls(_ verbs: [String], _ paths: [String]) -> PolicyRule {
        PolicyRule(verbs: verbs, nonResourceURLs: paths)
    }

    /// A default ClusterRole: its rules, labels beyond the bootstrapping label, and the label
    /// selectors of an aggregated role.
    struct Role: Sendable {
        var name: String
        var rules: [PolicyRule]
        var labels: [String: String] = [:]
        var aggregateFrom: [String] = []
    }

    /// A default ClusterRoleBinding of `role` to subjects given as (kind, name, namespace).
    struct Binding: Sendable {
        var name: String
        var role: String
        var subjects: [(kind: String, name: String, namespace: String)]
    }

    static let aggregateLabel = "rbac.authorization.k8s.io/aggregate-to-"

    static let clusterRoles: [Role] = [
        Role(name: "cluster-admin", rules: [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])]),
        Role(name: "system:discovery", rules: [
            urls(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                           "/readyz", "/version", "/version/"]),
        ]),
        Role(name: "system:basic-user", rules: [
            rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
        ]),
        Role(name: "system:public-info-viewer", rules: [
            urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"]),
        ]),
        Role(name: "system:monitoring", rules: [
            urls(["get"], ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*"]),
        ]),
        Role(name: "admin", rules: [], aggregateFrom: ["admin"]),
        Role(name: "edit", rules: [], labels: [aggregateLabel + "admin": "true"], aggregateFrom: ["edit"]),
        Role(name: "view", rules: [], labels: [aggregateLabel + "edit": "true"], aggregateFrom: ["view"]),
        Role(name: "system:aggregate-to-admin", rules: [
            rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
            rule(readWrite, ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
        ], labels: [aggregateLabel + "admin": "true"]),
        Role(name: "system:aggregate-to-edit", rules: [
            rule(read, [""], ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"]),
            rule(["impersonate"], [""], ["serviceaccounts"]),
            rule(write, [""], ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
            rule(["create"], [""], ["pods/eviction"]),
            rule(write, [""], ["replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                               "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events"]),
            rule(["create"], [""], ["serviceaccounts/token"]),
            rule(write, ["apps"], ["statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
                                   "deployments/rollback", "replicasets", "replicasets/scale"]),
            rule(write, ["autoscaling"], ["horizontalpodautoscalers"]),
            rule(write, ["batch"], ["jobs", "cronjobs"]),
            rule(write, ["extensions"], ["daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
                                         "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"]),
            rule(write, ["policy"], ["poddisruptionbudgets"]),
            rule(write, ["networking.k8s.io"], ["networkpolicies", "ingresses"]),
            rule(readWrite, ["coordination.k8s.io"], ["leases"]),
        ], labels: [aggregateLabel + "edit": "true"]),
        Role(name: "system:aggregate-to-view", rules: [
            rule(read, [""], ["pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                              "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                              "configmaps"]),
            rule(read, [""], ["limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
                              "namespaces/status", "replicationcontrollers/status", "pods/log"]),
            rule(read, [""], ["namespaces"]),
            rule(read, ["discovery.k8s.io"], ["endpointslices"]),
            rule(read, ["apps"], ["controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
                                  "daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale",
                                  "replicasets", "replicasets/status", "replicasets/scale"]),
            rule(read, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
            rule(read, ["batch"], ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
            rule(read, ["extensions"], ["daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                                        "deployments/status", "ingresses", "ingresses/status", "replicasets",
                                        "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                                        "networkpolicies"]),
            rule(read, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
            rule(read, ["networking.k8s.io"], ["networkpolicies", "ingresses", "ingresses/status"]),
        ], labels: [aggregateLabel + "view": "true"]),
        Role(name: "system:auth-delegator", rules: [
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
        ]),
        Role(name: "system:certificates.k8s.io:kube-apiserver-client-approver", rules: [
            rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/kube-apiserver-client"]),
        ]),
        Role(name: "system:service-account-issuer-discovery", rules: [
            urls(["get"], ["/.well-known/openid-configuration", "/.well-known/openid-configuration/",
                           "/openid/v1/jwks", "/openid/v1/jwks/"]),
        ]),
        Role(name: "system:node-proxier", rules: [
            rule(["list", "watch"], [""], ["services", "endpoints"]),
            rule(["get", "list", "watch"], [""], ["nodes"]),
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        Role(name: "system:kube-dns", rules: [
            rule(["list", "watch"], [""], ["endpoints", "services"]),
            rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        Role(name: "system:volume-scheduler", rules: [
            rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumes"]),
            rule(read, ["storage.k8s.io"], ["storageclasses"]),
            rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumeclaims"]),
        ]),
        Role(name: "system:kube-scheduler", rules: [
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            rule(["create"], ["coordination.k8s.io"], ["leases"]),
            rule(["get", "update"], ["coordination.k8s.io"], ["leases"], names: ["kube-scheduler"]),
            rule(["create"], [""], ["endpoints"]),
            rule(["get", "update"], [""], ["endpoints"], names: ["kube-scheduler"]),
            rule(read, [""], ["nodes"]),
            rule(["delete", "get", "list", "watch"], [""], ["pods"]),
            rule(["create"], [""], ["bindings", "pods/binding"]),
            rule(["patch", "update"], [""], ["pods/status"]),
            rule(read, [""], ["replicationcontrollers", "services"]),
            rule(read, ["apps", "extensions"], ["replicasets"]),
            rule(read, ["apps"], ["statefulsets"]),
            rule(read, ["policy"], ["poddisruptionbudgets"]),
            rule(read, [""], ["persistentvolumeclaims", "persistentvolumes"]),
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            rule(read, ["storage.k8s.io"], ["csinodes", "csidrivers", "csistoragecapacities"]),
            rule(read, [""], ["namespaces"]),
        ]),
        Role(name: "system:kube-controller-manager", rules: [
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            rule(["create"], ["coordination.k8s.io"], ["leases"]),
            rule(["get", "update"], ["coordination.k8s.io"], ["leases"], names: ["kube-controller-manager"]),
            rule(["create"], [""], ["endpoints"]),
            rule(["get", "update"], [""], ["endpoints"], names: ["kube-controller-manager"]),
            rule(["create"], [""], ["secrets", "serviceaccounts"]),
            rule(["delete"], [""], ["secrets"]),
            rule(["get"], [""], ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
            rule(["update"], [""], ["secrets", "serviceaccounts"]),
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            rule(["list", "watch"], ["*"], ["*"]),
            rule(["create"], [""], ["serviceaccounts/token"]),
        ]),
        Role(name: "system:node", rules: [
            rule(["create", "get", "list", "watch", "patch", "update"], [""], ["nodes"]),
            rule(["patch", "update"], [""], ["nodes/status"]),
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            rule(read, [""], ["pods"]),
            rule(["create", "delete"], [""], ["pods"]),
            rule(["update", "patch"], [""], ["pods/status"]),
            rule(["create"], [""], ["pods/eviction"]),
            rule(["get", "list", "watch"], [""], ["services", "endpoints"]),
            rule(["get", "list", "watch"], [""], ["secrets", "configmaps"]),
            rule(["get"], [""], ["persistentvolumeclaims", "persistentvolumes"]),
            rule(["get", "update", "patch"], [""], ["persistentvolumeclaims/status"]),
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews", "localsubjectaccessreviews"]),
            rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
            rule(["create", "delete", "get", "patch", "update", "list", "watch"], ["coordination.k8s.io"], ["leases"]),
            rule(read, ["storage.k8s.io"], ["csidrivers", "csinodes", "volumeattachments", "storageclasses"]),
            rule(["create"], [""], ["serviceaccounts/token"]),
            rule(read, ["node.k8s.io"], ["runtimeclasses"]),
            rule(read, ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        // Kyvern's node agent also runs the built-in local-path provisioner (PVs for claims on its
        // node); through RBAC this reaches every node's volumes, not only its own.
        Role(name: "kyvern:node-agent", rules: [
            rule(readWrite, [""], ["persistentvolumes"]),
            rule(["get", "list", "watch", "update", "patch"], [""], ["persistentvolumeclaims"]),
            rule(["create", "get", "list", "watch"], ["storage.k8s.io"], ["storageclasses"]),
            rule(["get", "list", "watch", "create", "update", "patch"], ["coordination.k8s.io"], ["leases"]),
            rule(["get", "list", "watch"], [""], ["namespaces", "serviceaccounts"]),
        ]),
    ] + componentClusterRoles + controllerRoles

    static let clusterRoleBindings: [Binding] = [
        Binding(name: "cluster-admin", role: "cluster-admin", subjects: [("Group", "system:masters", "")]),
        Binding(name: "system:monitoring", role: "system:monitoring", subjects: [("Group", "system:monitoring", "")]),
        Binding(name: "system:discovery", role: "system:discovery", subjects: [("Group", "system:authenticated", "")]),
        Binding(name: "system:basic-user", role: "system:basic-user", subjects: [("Group", "system:authenticated", "")]),
        Binding(name: "system:public-info-viewer", role: "system:public-info-viewer",
                subjects: [("Group", "system:authenticated", ""), ("Group", "system:unauthenticated", "")]),
        Binding(name: "system:service-account-issuer-discovery", role: "system:service-account-issuer-discovery",
                subjects: [("Group", "system:serviceaccounts", "")]),
        Binding(name: "system:node-proxier", role: "system:node-proxier", subjects: [("User", "system:kube-proxy", "")]),
        Binding(name: "system:kube-dns", role: "system:kube-dns", subjects: [("ServiceAccount", "kube-dns", "kube-system")]),
        Binding(name: "system:kube-scheduler", role: "system:kube-scheduler", subjects: [("User", "system:kube-scheduler", "")]),
        Binding(name: "system:volume-scheduler", role: "system:volume-scheduler", subjects: [("User", "system:kube-scheduler", "")]),
        Binding(name: "system:kube-controller-manager", role: "system:kube-controller-manager",
                subjects: [("User", "system:kube-controller-manager", "")]),
        Binding(name: "system:node", role: "system:node", subjects: []),
        Binding(name: "kyvern:node-agents-extra", role: "kyvern:node-agent", subjects: [("Group", "system:nodes", "")]),
    ] + componentClusterRoleBindings + controllerRoleBindings
}
