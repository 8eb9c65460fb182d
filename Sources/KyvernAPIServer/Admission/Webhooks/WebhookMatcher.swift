import KyvernAPI

/// Upstream's `ShouldCallHook`: the namespace selector, then the object selector, then the rules
/// (and, with matchPolicy Equivalent, the same resource in another served version).
struct WebhookMatcher: Sendable {
    /// A namespace's labels; nil when it does not exist.
    var namespaceLabels: @Sendable (String) async -> [String: String]?
    /// Other versions under which the same group/resource is served (Equivalent matching).
    var equivalentVersions: @Sendable (_ group: String, _ resource: String) -> [String] = { _, _ in [] }

    enum Decision: Sendable, Equatable {
        case skip
        /// Call it; `version` is the one the webhook asked for (differs from the request's under Equivalent).
        case call(version: String)
    }

    func decide(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes) async throws -> Decision {
        let namespaceMatch = await matchesNamespace(hook, attributes)
        if case .success(false) = namespaceMatch { return .skip }
        let objectMatch = matchesObject(hook, attributes)
        if case .success(false) = objectMatch { return .skip }
        var version: String?
        if hook.rules.contains(where: { $0.matches(attributes) }) {
            version = attributes.version
        } else if hook.matchPolicy == .equivalent {
            for other in equivalentVersions(attributes.group, attributes.resource) where other != attributes.version {
                var converted = attributes
                converted.version = other
                if hook.rules.contains(where: { $0.matches(converted) }) {
                    version = other
                    break
                }
            }
        }
        guard let version else { return .skip }
        if case .failure(let error) = namespaceMatch { throw error }
        if case .failure(let error) = objectMatch { throw error }
        return .call(version: version)
    }

    /// Cluster-scoped objects other than namespaces are never exempted; a namespace being created
    /// or updated is matched on its new labels (it is not stored yet).
    func matchesNamespace(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes) async -> Result<Bool, APIError> {
        let isNamespace = attributes.group.isEmpty && attributes.resource == "namespaces"
        if attributes.namespace.isEmpty && !isNamespace { return .success(true) }
        let selector: LabelSelector
        do { selector = try LabelSelector(labelSelector: hook.namespaceSelector) } catch { return .failure(error) }
        if selector.isEmpty { return .success(true) }
        if isNamespace && attributes.subresource.isEmpty,
           attributes.operation == .create || attributes.operation == .update, let object = attributes.object {
            return .success(selector.matches(labelsOf: object))
        }
        let name = isNamespace ? (attributes.name.isEmpty ? attributes.namespace : attributes.name) : attributes.namespace
        guard let labels = await namespaceLabels(name) else {
            return .failure(.internalError("namespace \(goQuote(name)) not found"))
        }
        return .success(selector.matches(labels))
    }

    /// The new or the old object's labels may match.
    func matchesObject(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes) -> Result<Bool, APIError> {
        let selector: LabelSelector
        do { selector = try LabelSelector(labelSelector: hook.objectSelector) } catch { return .failure(error) }
        if selector.isEmpty { return .success(true) }
        let matchesNew = attributes.object.map { selector.matches(labelsOf: $0) } ?? false
        let matchesOld = attributes.oldObject.map { selector.matches(labelsOf: $0) } ?? false
        return .success(matchesNew || matchesOld)
    }
}
