import Foundation
import KyvernAPI

/// Creates upstream's default ClusterRoles and ClusterRoleBindings at every start, and
/// reconciles them as upstream does: a default object still annotated
/// `rbac.authorization.kubernetes.io/autoupdate: "true"` regains missing rules and subjects;
/// one a user set to `"false"` is left alone.
enum BootstrapPolicy {
    static let autoupdate = "rbac.authorization.kubernetes.io/autoupdate"

    static func ensure(storage: ObjectStorage) async throws {
        guard let roles = ResourceCatalog.find(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles"),
              let bindings = ResourceCatalog.find(group: "rbac.authorization.k8s.io", version: "v1",
                                                  resource: "clusterrolebindings") else { return }
        var desired = clusterRoles.map(Self.object(of:))
        // Aggregated roles start with their rules filled in, so they work before the controller runs;
        // an aggregated role may include another (view is in edit), so repeat until nothing changes.
        for _ in 0..<4 {
            let before = desired
            desired = desired.map { role in
                var role = role
                if let rules = ClusterRoleAggregation.rules(for: role, among: desired), !rules.isEmpty {
                    role["rules"] = .array(rules)
                }
                return role
            }
            if desired == before { break }
        }
        for role in desired {
            try await reconcile(role, info: roles, storage: storage) { existing, wanted in
                var merged = existing
                var rules = existing["rules"]?.arrayValue ?? []
                for rule in wanted["rules"]?.arrayValue ?? [] where !rules.contains(rule) { rules.append(rule) }
                merged["rules"] = .array(rules)
                if existing["aggregationRule"] == nil, let aggregation = wanted["aggregationRule"] {
                    merged["aggregationRule"] = aggregation
                }
                return merged
            }
        }
        try await ensureNamespaced(storage: storage)
        for binding in clusterRoleBindings {
            try await reconcile(object(of: binding), info: bindings, storage: storage) { existing, wanted in
                var merged = existing
                var subjects = existing["subjects"]?.arrayValue ?? []
                for subject in wanted["subjects"]?.arrayValue ?? [] where !subjects.contains(subject) { subjects.append(subject) }
                merged["subjects"] = subjects.isEmpty ? nil : .array(subjects)
                return merged
            }
        }
        try await removeRetiredBindings(info: bindings, storage: storage)
    }

    private static func reconcile(_ wanted: JSONValue, info: ResourceInfo, storage: ObjectStorage,
                                  merge: @escaping @Sendable (JSONValue, JSONValue) -> JSONValue) async throws {
        let name = wanted[path: ["metadata", "name"]]?.stringValue ?? ""
        let namespace = wanted[path: ["metadata", "namespace"]]?.stringValue
        let key = StorageKeys.key(info, namespace: namespace, name: name)
        guard let existing = try await storage.read(key: key)?.object else {
            do {
                _ = try await storage.create(info, key: key, object: wanted)
            } catch let error as APIError where error.code == 409 {}
            return
        }
        guard existing[path: ["metadata", "annotations", autoupdate]]?.stringValue != "false",
              reconciled(existing, wanted, merge) != existing else { return }
        _ = try await storage.update(info, key: key, name: name) { current in reconciled(current, wanted, merge) }
    }

    /// The existing object with what the default adds: rules or subjects, and missing labels.
    private static func reconciled(_ existing: JSONValue, _ wanted: JSONValue,
                                   _ merge: (JSONValue, JSONValue) -> JSONValue) -> JSONValue {
        var merged = merge(existing, wanted)
        var labels = merged[path: ["metadata", "labels"]]?.objectValue ?? [:]
        for (label, value) in wanted[path: ["metadata", "labels"]]?.objectValue ?? [:] where labels[label] == nil {
            labels[label] = value
        }
        merged[path: ["metadata", "labels"]] = .object(labels)
        return merged
    }

    /// Roles in kube-system: Kyvern's node agents publish the cluster DNS Service and their DNS
    /// EndpointSlices there (`kyvern:node-dns`, bound to `system:nodes`), and each node's Ingress
    /// controller holds its Lease there (`kyvern:ingress-instances`), and nothing else.
    static let namespacedRoles: [(role: Role, subjects: [(kind: String, name: String, namespace: String)])] = [
        (Role(name: "kyvern:node-dns", rules: [
            rule(["get", "create", "update", "patch"], [""], ["services"]),
            rule(["get", "list", "watch", "create", "update", "patch", "delete"], ["discovery.k8s.io"], ["endpointslices"]),
        ]), [("Group", "system:nodes", "")]),
        (Role(name: "kyvern:ingress-instances", rules: [
            rule(["get", "list", "watch", "create", "update", "delete"], ["coordination.k8s.io"], ["leases"]),
        ]), [("User", "system:kyvern-ingress", ""), ("Group", "system:kyvern-ingresses", "")]),
    ]

    private static func ensureNamespaced(storage: ObjectStorage) async throws {
        guard let roles = ResourceCatalog.find(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles"),
              let bindings = ResourceCatalog.find(group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings")
        else { return }
        for (definition, subjects) in namespacedRoles {
            var role: JSONValue = [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": metadata(name: definition.name, labels: [:]),
                "rules": .array(definition.rules.map(\.json)),
            ]
            role[path: ["metadata", "namespace"]] = "kube-system"
            try await reconcile(role, info: roles, storage: storage) { existing, wanted in
                var merged = existing
                var rules = existing["rules"]?.arrayValue ?? []
                for rule in wanted["rules"]?.arrayValue ?? [] where !rules.contains(rule) { rules.append(rule) }
                merged["rules"] = .array(rules)
                return merged
            }
            var binding = object(of: Binding(name: definition.name, role: definition.name, subjects: subjects))
            binding["kind"] = "RoleBinding"
            binding[path: ["metadata", "namespace"]] = "kube-system"
            binding[path: ["roleRef", "kind"]] = "Role"
            try await reconcile(binding, info: bindings, storage: storage) { existing, wanted in
                var merged = existing
                var subjects = existing["subjects"]?.arrayValue ?? []
                for subject in wanted["subjects"]?.arrayValue ?? [] where !subjects.contains(subject) { subjects.append(subject) }
                merged["subjects"] = subjects.isEmpty ? nil : .array(subjects)
                return merged
            }
        }
    }

    private static func metadata(name: String, labels: [String: String]) -> JSONValue {
        var allLabels: [String: JSONValue] = ["kubernetes.io/bootstrapping": "rbac-defaults"]
        for (key, value) in labels { allLabels[key] = .string(value) }
        return [
            "name": .string(name), "uid": .string(UUID().uuidString.lowercased()),
            "creationTimestamp": .string(Timestamp.format(Date())),
            "labels": .object(allLabels),
            "annotations": [.init(autoupdate): "true"],
        ]
    }

    static func object(of role: Role) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": metadata(name: role.name, labels: role.labels),
            "rules": .array(role.rules.map(\.json)),
        ]
        if !role.aggregateFrom.isEmpty {
            object["aggregationRule"] = ["clusterRoleSelectors": .array(role.aggregateFrom.map {
                ["matchLabels": [.init(aggregateLabel + $0): "true"]]
            })]
        }
        return object
    }

    static func object(of binding: Binding) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": metadata(name: binding.name, labels: [:]),
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(binding.role)],
        ]
        if !binding.subjects.isEmpty {
            object["subjects"] = .array(binding.subjects.map { subject in
                var json: JSONValue = ["kind": .string(subject.kind), "name": .string(subject.name)]
                if subject.kind == "ServiceAccount" {
                    json["namespace"] = .string(subject.namespace)
                } else {
                    json["apiGroup"] = "rbac.authorization.k8s.io"
                }
                return json
            })
        }
        return object
    }
}
