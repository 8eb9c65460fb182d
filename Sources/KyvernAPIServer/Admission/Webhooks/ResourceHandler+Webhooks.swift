import KyvernAPI
import Logging

/// Where the write path calls the admission webhooks: mutating ones after the built-in mutating
/// admission (the object they change is checked again), validating ones last before storage.
extension ResourceHandler {
    /// Runs the mutating webhooks on `object`; when they changed it, defaults and validates it again,
    /// and Pod Security (a validating step upstream runs after them) looks at it again.
    func admitMutatingWebhooks(_ object: inout JSONValue, old: JSONValue?, request: ResourceRequest,
                               operation: AdmissionAttributes.Operation) async throws {
        guard let webhooks = admissionWebhooks else { return }
        let attributes = webhookAttributes(request, operation: operation, object: object, old: old)
        let mutation = try await webhooks.mutate(attributes)
        request.admission.set("webhook.mutating", mutation.warnings)
        guard mutation.changed, var changed = mutation.object else { return }
        if Self.sendsScale(request) {
            // Webhooks saw the Scale; what they may change of it is the replica count.
            let replicas = changed[path: ["spec", "replicas"]]
            changed = object
            changed[path: ["spec", "replicas"]] = replicas
        }
        let info = request.info
        ObjectDefaults.apply(to: &changed, info: info)
        try validateMeta(changed, info)
        try validateObject(changed, old: old, info: info)
        try await admitPodSecurity(changed, old: old, request: request)
        object = changed
    }

    /// Runs the validating webhooks (in parallel); the first refusal fails the request.
    func admitValidatingWebhooks(_ object: JSONValue?, old: JSONValue?, request: ResourceRequest,
                                 operation: AdmissionAttributes.Operation) async throws {
        let attributes = webhookAttributes(request, operation: operation, object: object, old: old)
        try await admitPolicies(attributes, request: request)
        guard let webhooks = admissionWebhooks else { return }
        let warnings = try await webhooks.validate(attributes)
        request.admission.set("webhook.validating", warnings)
    }

    /// ValidatingAdmissionPolicies, before the validating webhooks as upstream orders them.
    func admitPolicies(_ attributes: AdmissionAttributes, request: ResourceRequest) async throws {
        guard let admissionPolicies else { return }
        let verdict = try await admissionPolicies.validate(attributes)
        request.admission.set("policy.validating", verdict.warnings)
        request.admission.setAuditAnnotations("policy.validating", verdict.auditAnnotations)
    }

    /// Both phases for a create on a subresource whose body is its own kind (a pod's Binding or
    /// Eviction), sent as upstream sends it: CREATE of `pods/<subresource>` with that object.
    /// A mutation of such a body is not applied.
    func admitSubresourceCreateWebhooks(_ request: ResourceRequest, kind: (group: String, version: String, kind: String)) async throws {
        guard let webhooks = admissionWebhooks, await webhooks.isConfigured else { return }
        let body = try BodyDecoder.decode(request.body, contentType: request.contentType, what: kind.kind)
        var attributes = webhookAttributes(request, operation: .create, object: body, old: nil)
        attributes.name = request.target.name ?? attributes.name
        attributes.kind = kind.kind
        attributes.kindGroup = kind.group
        attributes.kindVersion = kind.version
        let mutation = try await webhooks.mutate(attributes)
        let warnings = try await webhooks.validate(attributes)
        request.admission.set("webhook.subresource", mutation.warnings + warnings)
    }

    /// Both phases for a delete, which has no new object to mutate.
    func admitDeleteWebhooks(_ old: JSONValue, request: ResourceRequest) async throws {
        guard let webhooks = admissionWebhooks else { return }
        let attributes = webhookAttributes(request, operation: .delete, object: nil, old: old)
        try await admitPolicies(attributes, request: request)
        let mutation = try await webhooks.mutate(attributes)
        let warnings = try await webhooks.validate(attributes)
        request.admission.set("webhook.delete", mutation.warnings + warnings)
    }

    private func webhookAttributes(_ request: ResourceRequest, operation: AdmissionAttributes.Operation,
                                   object: JSONValue?, old: JSONValue?) -> AdmissionAttributes {
        let name = object?[path: ["metadata", "name"]]?.stringValue ?? old?[path: ["metadata", "name"]]?.stringValue
            ?? request.target.name ?? ""
        var options: [String: JSONValue] = [:]
        if request.dryRun { options["dryRun"] = ["All"] }
        if operation != .delete, let manager = request.query["fieldManager"], !manager.isEmpty {
            options["fieldManager"] = .string(manager)
        }
        var namespace = request.namespace
        if request.info.group.isEmpty && request.info.resource == "namespaces" { namespace = name }
        var attributes = AdmissionAttributes(operation: operation, info: request.info, subresource: request.target.subresource,
                                             namespace: namespace, name: name, object: object, oldObject: old,
                                             user: request.user, dryRun: request.dryRun, options: .object(options))
        if Self.sendsScale(request) {
            attributes.kind = "Scale"
            attributes.kindGroup = "autoscaling"
            attributes.kindVersion = "v1"
            attributes.object = object.map { Self.scaleObject(of: $0) }
            attributes.oldObject = old.map { Self.scaleObject(of: $0) }
        }
        return attributes
    }

    /// Upstream sends a `scale` write as the autoscaling/v1 Scale it is (built-in kinds, whose
    /// replicas are at `spec.replicas`).
    static func sendsScale(_ request: ResourceRequest) -> Bool {
        request.target.subresource == "scale" && request.info.definition.hasPrefix("io.k8s.api.")
    }
}

extension WebhookDispatcher {
    /// The dispatcher the server uses: configurations, namespaces and Services from the watch cache.
    static func live(cache: WatchCache, logger: Logger) -> WebhookDispatcher {
        let registry = WebhookRegistry(cache: cache)
        var dispatcher = WebhookDispatcher(
            webhooks: { await registry.webhooks($0) },
            matcher: WebhookMatcher(namespaceLabels: { await registry.namespaceLabels($0) },
                                    equivalentVersions: { WebhookRegistry.servedVersions(group: $0, resource: $1) }),
            transport: HTTPWebhookTransport(),
            resolveService: { try await registry.resolveService(namespace: $0, name: $1, port: $2) },
            matchConditions: { try WebhookMatchConditions.evaluate($0, $1) })
        dispatcher.logger = logger
        return dispatcher
    }
}
