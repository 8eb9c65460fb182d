import KyvernAPI

/// Upstream's NodeRestriction admission plugin: a node (see ``NodeIdentity``) may change only its
/// own Node (and not the labels that steer workloads to nodes), create only mirror pods bound to
/// itself that name no other objects, delete, evict and update the status of only its own pods,
/// write only its own lease in `kube-node-lease`, and mint tokens only for pods bound to it.
struct NodeRestriction: Sendable {
    enum Operation: Sendable {
        case create, update, delete
    }

    /// The write as admission sees it: `object` is the new object (the Eviction or TokenRequest
    /// for those subresources), `old` the stored one for an update.
    struct Attributes: Sendable {
        var operation: Operation
        var group: String
        var resource: String
        var subresource: String = ""
        var namespace: String = ""
        var name: String
        var object: JSONValue?
        var old: JSONValue?
    }

    let node: String
    /// Reads the pods and Nodes the checks compare against.
    let lookup: ObjectLookup

    static let restrictedLabelNamespace = "node-restriction.kubernetes.io"
    /// Labels under kubernetes.io and k8s.io a node may set on itself (upstream's kubelet labels).
    static let kubeletLabels: Set<String> = [
        "kubernetes.io/hostname", "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
        "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
        "kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
        "node.kubernetes.io/windows-build",
    ]
    static let kubeletLabelNamespaces = ["kubelet.kubernetes.io", "node.kubernetes.io"]

    func admit(_ a: Attributes) async throws(APIError) {
        guard !node.isEmpty else { throw forbidden(a, "could not determine node from user \"\(NodeIdentity.userPrefix)\"") }
        switch (a.group, a.resource) {
        case ("", "pods"):
            switch a.subresource {
            case "": try await admitPod(a)
            case "status": try admitPodStatus(a)
            case "eviction": try await admitEviction(a)
            default: throw forbidden(a, "unexpected subresource \"\(a.subresource)\"")
            }
        case ("", "nodes"): try admitNode(a)
        case ("", "persistentvolumeclaims") where a.subresource == "status": try admitClaimStatus(a)
        case ("", "serviceaccounts") where a.subresource == "token" && a.operation == .create: try await admitToken(a)
        case ("coordination.k8s.io", "leases"): try admitLease(a)
        default: return
        }
    }

    // MARK: pods

    private func admitPod(_ a: Attributes) async throws(APIError) {
        switch a.operation {
        case .create:
            try await admitMirrorPod(a)
        case .delete:
            let existing = await lookup.get("pods", namespace: a.namespace, name: a.name)
            guard let existing else { throw APIError.notFound(group: "", resource: "pods", name: a.name) }
            guard Self.nodeName(of: existing) == node else {
                throw forbidden(a, "node \"\(node)\" can only delete pods with spec.nodeName set to itself")
            }
        case .update:
            throw forbidden(a, "unexpected operation \"UPDATE\", node \"\(node)\" can only create and delete mirror pods")
        }
    }

    private func admitMirrorPod(_ a: Attributes) async throws(APIError) {
        let pod = a.object ?? [:]
        guard NodePodReferences.isMirror(pod) else {
            throw forbidden(a, "pod does not have \"\(NodePodReferences.mirrorAnnotation)\" annotation, node \"\(node)\" can only create mirror pods")
        }
        guard Self.nodeName(of: pod) == node else {
            throw forbidden(a, "node \"\(node)\" can only create pods with spec.nodeName set to itself")
        }
        let owners = pod[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
        guard owners.count <= 1 else {
            throw forbidden(a, "node \"\(node)\" can only create pods with a single owner reference set to itself")
        }
        guard let owner = owners.first, owner["apiVersion"]?.stringValue == "v1", owner["kind"]?.stringValue == "Node",
              owner["name"]?.stringValue == node else {
            throw forbidden(a, "node \"\(node)\" can only create pods with an owner reference set to itself")
        }
        guard owner["controller"]?.boolValue == true else {
            throw forbidden(a, "node \"\(node)\" can only create pods with a controller owner reference set to itself")
        }
        guard owner["blockOwnerDeletion"]?.boolValue != true else {
            throw forbidden(a, "node \"\(node)\" must not set blockOwnerDeletion on an owner reference")
        }
        guard let nodeObject = await lookup.get("nodes", namespace: nil, name: node) else {
            throw APIError.notFound(group: "", resource: "nodes", name: node)
        }
        let uid = nodeObject[path: ["metadata", "uid"]]?.stringValue ?? ""
        let ownerUID = owner["uid"]?.stringValue ?? ""
        guard ownerUID == uid else { throw forbidden(a, "node \(node) UID mismatch: expected \(uid) got \(ownerUID)") }
        if NodePodReferences.serviceAccount(of: pod) != nil {
            throw forbidden(a, "node \"\(node)\" can not create pods that reference a service account")
        }
        if !NodePodReferences.secrets(of: pod).isEmpty {
            throw forbidden(a, "node \"\(node)\" can not create pods that reference secrets")
        }
        if !NodePodReferences.configMaps(of: pod).isEmpty {
            throw forbidden(a, "node \"\(node)\" can not create pods that reference configmaps")
        }
        let volumes = pod[path: ["spec", "volumes"]]?.arrayValue ?? []
        if volumes.contains(where: { $0["persistentVolumeClaim"]?.objectValue != nil }) {
            throw forbidden(a, "node \"\(node)\" can not create pods that reference persistentvolumeclaims")
        }
        if !(pod[path: ["spec", "resourceClaims"]]?.arrayValue ?? []).isEmpty {
            throw forbidden(a, "node \"\(node)\" can not create pods that reference resourceclaims")
        }
    }

    private func admitPodStatus(_ a: Attributes) throws(APIError) {
        guard a.operation == .update, let old = a.old else { throw forbidden(a, "unexpected operation \(Self.verb(a.operation))") }
        guard Self.nodeName(of: old) == node else {
            throw forbidden(a, "node \"\(node)\" can only update pod status for pods with spec.nodeName set to itself")
        }
        if Self.labels(of: a.object) != Self.labels(of: old) {
            throw forbidden(a, "node \"\(node)\" cannot update labels through pod status")
        }
    }

    private func admitEviction(_ a: Attributes) async throws(APIError) {
        guard a.operation == .create else { throw forbidden(a, "unexpected operation \(Self.verb(a.operation))") }
        var podName = a.name
        if podName.isEmpty { podName = a.object?[path: ["metadata", "name"]]?.stringValue ?? "" }
        guard !podName.isEmpty else { throw forbidden(a, "could not determine pod from request data") }
        guard let pod = await lookup.get("pods", namespace: a.namespace, name: podName) else {
            throw APIError.notFound(group: "", resource: "pods", name: podName)
        }
        guard Self.nodeName(of: pod) == node else {
            throw forbidden(a, "node \(node) can only evict pods with spec.nodeName set to itself")
        }
    }

    // MARK: nodes

    private func admitNode(_ a: Attributes) throws(APIError) {
        let name = a.operation == .create ? (a.object?[path: ["metadata", "name"]]?.stringValue ?? a.name) : a.name
        guard name == node else { throw forbidden(a, "node \"\(node)\" is not allowed to modify node \"\(name)\"") }
        switch a.operation {
        case .create:
            if let source = a.object?[path: ["spec", "configSource"]], !source.isNull {
                throw forbidden(a, "node \"\(node)\" is not allowed to create pods with a non-nil configSource")
            }
            let forbiddenLabels = Self.forbiddenLabels(Self.modifiedLabels(Self.labels(of: a.object), [:]))
            if !forbiddenLabels.isEmpty {
                throw forbidden(a, "node \"\(node)\" is not allowed to set the following labels: \(forbiddenLabels.joined(separator: ", "))")
            }
        case .update:
            let source = a.object?[path: ["spec", "configSource"]]
            if let source, !source.isNull, source != a.old?[path: ["spec", "configSource"]] {
                throw forbidden(a, "node \"\(node)\" is not allowed to update configSource to a new non-nil configSource")
            }
            if a.object?[path: ["metadata", "ownerReferences"]] != a.old?[path: ["metadata", "ownerReferences"]] {
                throw forbidden(a, "node \"\(node)\" is not allowed to modify ownerReferences")
            }
            let forbiddenLabels = Self.forbiddenLabels(Self.modifiedLabels(Self.labels(of: a.object), Self.labels(of: a.old)))
            if !forbiddenLabels.isEmpty {
                throw forbidden(a, "is not allowed to modify labels: \(forbiddenLabels.joined(separator: ", "))")
            }
        case .delete:
            return
        }
    }

    /// Labels added, removed or changed between two label sets.
    static func modifiedLabels(_ new: [String: String], _ old: [String: String]) -> Set<String> {
        Set(new.keys.filter { old[$0] != new[$0] }).union(old.keys.filter { new[$0] != old[$0] })
    }

    /// The labels, sorted, a node may not change on itself: `node-restriction.kubernetes.io/` ones,
    /// and kubernetes.io or k8s.io ones other than the kubelet's own.
    static func forbiddenLabels(_ modified: Set<String>) -> [String] {
        modified.filter { label in
            let namespace = labelNamespace(label)
            if namespace == restrictedLabelNamespace || namespace.hasSuffix("." + restrictedLabelNamespace) { return true }
            return isKubernetesLabel(namespace) && !isKubeletLabel(label)
        }.sorted()
    }

    static func isKubeletLabel(_ label: String) -> Bool {
        if kubeletLabels.contains(label) { return true }
        let namespace = labelNamespace(label)
        return kubeletLabelNamespaces.contains { namespace == $0 || namespace.hasSuffix("." + $0) }
    }

    private static func isKubernetesLabel(_ namespace: String) -> Bool {
        namespace == "kubernetes.io" || namespace.hasSuffix(".kubernetes.io") || namespace == "k8s.io" || namespace.hasSuffix(".k8s.io")
    }

    private static func labelNamespace(_ label: String) -> String {
        guard let slash = label.firstIndex(of: "/") else { return "" }
        return String(label[..<slash])
    }

    // MARK: claims, tokens, leases

    /// A node reports a claim's capacity and conditions; nothing else of the claim may change.
    private func admitClaimStatus(_ a: Attributes) throws(APIError) {
        guard a.operation == .update, let old = a.old else { throw forbidden(a, "unexpected operation \(Self.verb(a.operation))") }
        func comparable(_ claim: JSONValue?) -> JSONValue {
            var claim = claim ?? [:]
            claim[path: ["metadata", "resourceVersion"]] = nil
            claim[path: ["metadata", "managedFields"]] = nil
            for field in ["capacity", "conditions", "allocatedResources", "allocatedResourceStatuses"] {
                claim[path: ["status", field]] = nil
            }
            return claim
        }
        guard comparable(a.object) == comparable(old) else {
            throw forbidden(a, "node \"\(node)\" is not allowed to update fields other than status.capacity and status.conditions")
        }
    }

    private func admitToken(_ a: Attributes) async throws(APIError) {
        let ref = a.object?[path: ["spec", "boundObjectRef"]]
        guard let ref, ref.objectValue != nil, ref["apiVersion"]?.stringValue == "v1", ref["kind"]?.stringValue == "Pod",
              let podName = ref["name"]?.stringValue, !podName.isEmpty else {
            throw forbidden(a, "node requested token not bound to a pod")
        }
        guard let uid = ref["uid"]?.stringValue, !uid.isEmpty else {
            throw forbidden(a, "node requested token with a pod binding without a uid")
        }
        guard let pod = await lookup.get("pods", namespace: a.namespace, name: podName) else {
            throw APIError.notFound(group: "", resource: "pods", name: podName)
        }
        guard pod[path: ["metadata", "uid"]]?.stringValue == uid else {
            throw forbidden(a, "the UID in the bound object reference (\(uid)) does not match the UID in record. "
                + "The object might have been deleted and then recreated")
        }
        guard Self.nodeName(of: pod) == node else {
            throw forbidden(a, "node requested token bound to a pod scheduled on a different node")
        }
    }

    private func admitLease(_ a: Attributes) throws(APIError) {
        guard a.namespace == "kube-node-lease" else { return }
        let name = a.operation == .create ? (a.object?[path: ["metadata", "name"]]?.stringValue ?? "") : a.name
        guard name == node else { throw forbidden(a, "can only access node lease with the same name as the requesting node") }
    }

    // MARK: helpers

    private static func nodeName(of pod: JSONValue) -> String { pod[path: ["spec", "nodeName"]]?.stringValue ?? "" }

    private static func labels(of object: JSONValue?) -> [String: String] {
        (object?[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    private static func verb(_ operation: Operation) -> String {
        switch operation {
        case .create: "CREATE"
        case .update: "UPDATE"
        case .delete: "DELETE"
        }
    }

    /// Upstream's admission.NewForbidden: names the object as the request carries it (its body's
    /// name, else the name in the path).
    private func forbidden(_ a: Attributes, _ why: String) -> APIError {
        var name = a.object?[path: ["metadata", "name"]]?.stringValue ?? ""
        if name.isEmpty { name = a.object?[path: ["metadata", "generateName"]]?.stringValue ?? "" }
        if name.isEmpty { name = a.name }
        return ForbiddenError.forbidden(group: a.group, resource: a.resource, name: name, why)
    }
}
