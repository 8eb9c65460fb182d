import KyvernAPI

/// Upstream's PodSecurity admission: namespace labels choose a Pod Security Standards level per
/// mode. `enforce` refuses pods, `warn` answers with warnings, `audit` annotates the audit event;
/// workloads with pod templates are only warned about and audited, since their pods are checked
/// when created. No namespace, user or runtime class is exempt (upstream's default).
extension ResourceHandler {
    /// Pod subresources whose writes cannot change what the checks read.
    static let podSecurityIgnoredSubresources: Set<String> = [
        "exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status",
    ]

    func admitPodSecurity(_ object: JSONValue, old: JSONValue?, request: ResourceRequest) async throws {
        let info = request.info
        let subresource = request.target.subresource
        if info.group.isEmpty && info.resource == "namespaces" {
            guard subresource == nil else { return }
            try await admitNamespaceLabels(object, old: old, request: request)
        } else if info.group.isEmpty && info.resource == "pods" {
            if let subresource, Self.podSecurityIgnoredSubresources.contains(subresource) { return }
            if let old, !PodSecurityAdmission.isSignificantPodUpdate(object, old: old) { return }
            try await admitPodLike(object, template: PodSecurityAdmission.podParts(object), enforce: true, request: request)
        } else if let template = PodSecurityAdmission.template(of: object, info: info) {
            guard subresource == nil else { return }
            try await admitPodLike(object, template: template, enforce: false, request: request)
        }
    }

    private func admitPodLike(_ object: JSONValue, template: PodSecurityPod?, enforce: Bool,
                              request: ResourceRequest) async throws {
        let namespace = await podSecurityNamespace(request.namespace ?? "")
        let (policy, errors) = PodSecurityPolicy.from(namespace: namespace)
        if errors.isEmpty && (enforce ? policy.isFullyPrivileged : policy.warn.level == .privileged && policy.audit.level == .privileged) {
            return
        }
        guard let template else { return }
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        let verdict = PodSecurityAdmission.evaluate(template, policy: policy, enforce: enforce)
        request.admission.setAuditAnnotations("podsecurity", verdict.auditAnnotations)
        if let refusal = verdict.refusal {
            request.admission.set("podsecurity", [])
            throw PodSecurityMessages.forbidden(resource: request.info.resource, name: name, policy.enforce, refusal)
        }
        request.admission.set("podsecurity", verdict.warnings)
    }

    private func admitNamespaceLabels(_ object: JSONValue, old: JSONValue?, request: ResourceRequest) async throws {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        let (policy, errors) = PodSecurityPolicy.from(namespace: object)
        guard let old else {
            if !errors.isEmpty { throw APIError.invalid(group: "", kind: "Namespace", name: name, causes: errors) }
            return
        }
        let (oldPolicy, oldErrors) = PodSecurityPolicy.from(namespace: old)
        if !errors.isEmpty && (oldErrors.isEmpty || errors != oldErrors) {
            throw APIError.invalid(group: "", kind: "Namespace", name: name, causes: errors)
        }
        guard PodSecurityAdmission.tightensEnforce(policy.enforce, old: oldPolicy.enforce) else {
            request.admission.set("podsecurity", [])
            return
        }
        try await storage.syncCache()
        let bucket = StorageKeys.resourcePrefix(group: "", resource: "pods")
        let pods = await cache.list(bucket: bucket, keyPrefix: "\(bucket)\(name)/").items.map(\.object)
        let results = pods.map { pod in
            (pod: pod[path: ["metadata", "name"]]?.stringValue ?? "",
             result: PodSecurityEvaluator.evaluate(policy.enforce, PodSecurityAdmission.podParts(pod)))
        }
        request.admission.set("podsecurity", PodSecurityMessages.existingPods(namespace: name, enforce: policy.enforce,
                                                                            results: results))
    }

    private func podSecurityNamespace(_ name: String) async -> JSONValue? {
        let nsInfo = ResourceCatalog.find(group: "", version: "v1", resource: "namespaces")!
        return await cache.get(key: StorageKeys.key(nsInfo, namespace: nil, name: name))?.object
    }
}
