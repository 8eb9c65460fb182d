import KyvernAPI

/// Upstream's Node authorizer: a node (see ``NodeIdentity``) reads the secrets, configmaps,
/// claims, volumes and service accounts of the pods bound to it, and nothing of other pods; for
/// everything else it holds the `system:node` ClusterRole's rules, read from the bootstrap policy.
/// It only allows or has no opinion, so RBAC still decides after it.
struct NodeAuthorizer: Sendable {
    let objects: NodeObjects

    /// The rules of upstream's `system:node` role, for requests the authorizer does not subdivide.
    static let nodeRules: [PolicyRule] = BootstrapPolicy.clusterRoles.first { $0.name == "system:node" }?.rules ?? []

    /// The kinds of object a node reaches through its pods.
    enum Kind: Sendable {
        case secret, configMap, claim, volume, resourceClaim, serviceAccount, volumeAttachment
    }

    /// The decision for a node's request; nil when the user is not a node (no opinion, no reason).
    func authorize(_ request: AuthorizationAttributes) async -> AuthorizationDecision? {
        guard let node = NodeIdentity.nodeName(of: request.user) else { return nil }
        guard !node.isEmpty else { return Self.noOpinion("unknown node for user \"\(request.user.name)\"") }
        if request.isResourceRequest {
            switch (request.apiGroup, request.resource) {
            case ("", "secrets"): return await readNamespaced(.secret, node: node, request)
            case ("", "configmaps"): return await readNamespaced(.configMap, node: node, request)
            case ("", "persistentvolumeclaims"):
                if request.subresource == "status" { return await updateStatus(.claim, node: node, request) }
                return await getOnly(.claim, node: node, request)
            case ("", "persistentvolumes"): return await getOnly(.volume, node: node, request)
            case ("resource.k8s.io", "resourceclaims"): return await getOnly(.resourceClaim, node: node, request)
            case ("storage.k8s.io", "volumeattachments"): return await getOnly(.volumeAttachment, node: node, request)
            case ("", "serviceaccounts"): return await serviceAccount(node: node, request)
            case ("coordination.k8s.io", "leases"): return Self.lease(node: node, request)
            case ("storage.k8s.io", "csinodes"): return Self.csiNode(node: node, request)
            default: break
            }
        }
        return Self.nodeRules.contains { $0.allows(request) } ? .allow("") : .noOpinion
    }

    /// get, and list or watch narrowed to one name (`metadata.name=x`), of a namespaced object.
    private func readNamespaced(_ kind: Kind, node: String, _ request: AuthorizationAttributes) async -> AuthorizationDecision {
        guard ["get", "list", "watch"].contains(request.verb) else {
            return Self.noOpinion("can only read resources of this type")
        }
        guard request.subresource.isEmpty else { return Self.noOpinion("cannot read subresource") }
        guard !request.namespace.isEmpty else { return Self.noOpinion("can only read namespaced object of this type") }
        return await related(kind, node: node, request)
    }

    private func getOnly(_ kind: Kind, node: String, _ request: AuthorizationAttributes) async -> AuthorizationDecision {
        guard request.verb == "get" else { return Self.noOpinion("can only get individual resources of this type") }
        guard request.subresource.isEmpty else { return Self.noOpinion("cannot get subresource") }
        return await related(kind, node: node, request)
    }

    private func updateStatus(_ kind: Kind, node: String, _ request: AuthorizationAttributes) async -> AuthorizationDecision {
        guard ["update", "patch"].contains(request.verb) else {
            return Self.noOpinion("can only get individual resources of this type")
        }
        return await related(kind, node: node, request)
    }

    /// Reading a pod's service account, or a token for it (the kubelet's projected token volumes).
    private func serviceAccount(node: String, _ request: AuthorizationAttributes) async -> AuthorizationDecision {
        if request.verb == "get", request.subresource.isEmpty { return await related(.serviceAccount, node: node, request) }
        guard request.verb == "create", !request.name.isEmpty else {
            return Self.noOpinion("can only create tokens for individual service accounts")
        }
        guard request.subresource == "token" else { return Self.noOpinion("can only create token subresource of serviceaccount") }
        return await related(.serviceAccount, node: node, request)
    }

    private static func lease(node: String, _ request: AuthorizationAttributes) -> AuthorizationDecision {
        guard ["get", "create", "update", "patch", "delete"].contains(request.verb) else {
            return noOpinion("can only get, create, update, patch, or delete a node lease")
        }
        guard request.namespace == "kube-node-lease" else {
            return noOpinion("can only access leases in the \"kube-node-lease\" system namespace")
        }
        // A create's name is not known here; NodeRestriction checks it.
        guard request.verb == "create" || request.name == node else {
            return noOpinion("can only access node lease with the same name as the requesting node")
        }
        return .allow("")
    }

    private static func csiNode(node: String, _ request: AuthorizationAttributes) -> AuthorizationDecision {
        guard ["get", "create", "update", "patch", "delete"].contains(request.verb) else {
            return noOpinion("can only get, create, update, patch, or delete a CSINode")
        }
        guard request.subresource.isEmpty else { return noOpinion("cannot authorize CSINode subresources") }
        guard request.verb == "create" || request.name == node else {
            return noOpinion("can only access CSINode with the same name as the requesting node")
        }
        return .allow("")
    }

    /// Allowed when a pod bound to the node leads to the object; looked for again once the cache has
    /// caught up with the store, so a pod bound a moment ago counts.
    private func related(_ kind: Kind, node: String, _ request: AuthorizationAttributes) async -> AuthorizationDecision {
        guard !request.name.isEmpty else { return Self.noOpinion("No Object name found") }
        if await isRelated(kind, node: node, namespace: request.namespace, name: request.name) { return .allow("") }
        await objects.sync()
        if await isRelated(kind, node: node, namespace: request.namespace, name: request.name) { return .allow("") }
        return Self.noOpinion("no relationship found between node '\(node)' and this object")
    }

    func isRelated(_ kind: Kind, node: String, namespace: String, name: String) async -> Bool {
        if kind == .volumeAttachment {
            let attachment = await objects.get("storage.k8s.io", "volumeattachments", "", name)
            return attachment?[path: ["spec", "nodeName"]]?.stringValue == node
        }
        let pods = await objects.podsOnNode(node)
        for pod in pods {
            let podNamespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
            switch kind {
            case .secret:
                if podNamespace == namespace, NodePodReferences.secrets(of: pod).contains(name) { return true }
                if await volumeSecrets(of: pod).contains(where: { $0.namespace == namespace && $0.name == name }) { return true }
            case .configMap:
                if podNamespace == namespace, NodePodReferences.configMaps(of: pod).contains(name) { return true }
            case .claim:
                if podNamespace == namespace, NodePodReferences.claims(of: pod).contains(name) { return true }
            case .resourceClaim:
                if podNamespace == namespace, NodePodReferences.resourceClaims(of: pod).contains(name) { return true }
            case .serviceAccount:
                if podNamespace == namespace, NodePodReferences.serviceAccount(of: pod) == name { return true }
            case .volume:
                if await volumeNames(of: pod).contains(name) { return true }
            case .volumeAttachment:
                break
            }
        }
        return false
    }

    /// The PersistentVolumes the pod's claims are bound to.
    private func volumeNames(of pod: JSONValue) async -> [String] {
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        var names: [String] = []
        for claim in NodePodReferences.claims(of: pod) {
            if let volume = await objects.get("", "persistentvolumeclaims", namespace, claim)?[path: ["spec", "volumeName"]]?
                .stringValue, !volume.isEmpty {
                names.append(volume)
            }
        }
        return names
    }

    /// The secrets named by the PersistentVolumes the pod uses (CSI node secrets and the like).
    private func volumeSecrets(of pod: JSONValue) async -> [(namespace: String, name: String)] {
        var refs: [(namespace: String, name: String)] = []
        for name in await volumeNames(of: pod) {
            if let volume = await objects.get("", "persistentvolumes", "", name) {
                refs += NodePodReferences.secrets(ofVolume: volume)
            }
        }
        return refs
    }

    private static func noOpinion(_ reason: String) -> AuthorizationDecision { .init(allowed: false, reason: reason) }
}
