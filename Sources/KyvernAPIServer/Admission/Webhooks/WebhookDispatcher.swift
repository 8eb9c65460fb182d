import Foundation
import KyvernAPI
import Logging

/// Calls the webhooks that match a request, as upstream's MutatingAdmissionWebhook and
/// ValidatingAdmissionWebhook plugins do: mutating ones in order, each seeing the object the
/// previous one left (with one reinvocation round for `IfNeeded`), validating ones in parallel.
struct WebhookDispatcher: Sendable {
    /// The webhooks configured now, in upstream's order (configurations by name, then their webhooks).
    var webhooks: @Sendable (AdmissionWebhook.Phase) async -> [AdmissionWebhook]
    var matcher: WebhookMatcher
    var transport: any WebhookTransport
    /// Finds where a Service-backed webhook listens: an address (IP or host) and port reachable from here.
    var resolveService: @Sendable (_ namespace: String, _ name: String, _ port: Int) async throws -> (address: String, port: Int)
    /// The seam for `matchConditions` (CEL): false skips the webhook. Nil: conditions are not evaluated
    /// and every condition counts as met.
    var matchConditions: (@Sendable ([AdmissionWebhook.MatchCondition], AdmissionAttributes) throws -> Bool)?
    var newUID: @Sendable () -> String = { UUID().uuidString.lowercased() }
    /// Where failing open or closed is reported, as upstream logs it.
    var logger = Logger(label: "kyvern.admission.webhooks")

    /// What the mutating phase did: the object it leaves and the webhooks' warnings.
    struct Mutation: Sendable {
        var object: JSONValue?
        var changed: Bool
        var warnings: [String]
    }

    /// Whether any webhook is configured (a delete reads the stored object only then).
    var isConfigured: Bool {
        get async {
            let hasMutating = await !webhooks(.mutating).isEmpty
            let hasValidating = await !webhooks(.validating).isEmpty
            return hasMutating || hasValidating
        }
    }

    // MARK: mutating

    func mutate(_ attributes: AdmissionAttributes) async throws -> Mutation {
        var mutation = Mutation(object: attributes.object, changed: false, warnings: [])
        guard !attributes.isAdmissionConfiguration else { return mutation }
        let hooks = await webhooks(.mutating)
        guard !hooks.isEmpty else { return mutation }
        var current = attributes
        // Upstream's reinvocation bookkeeping: IfNeeded webhooks called before a change are called again.
        var previouslyInvoked: Set<String> = []
        var toReinvoke: Set<String> = []
        for round in 0..<2 {
            if round == 1 && toReinvoke.isEmpty { break }
            for hook in hooks {
                if round == 1 && !toReinvoke.contains(hook.uid) { continue }
                guard case .call(let version) = try await matcher.decide(hook, current) else { continue }
                let verdict: AdmissionReview.Verdict
                do {
                    guard let answered = try await call(hook, current, version: version) else { continue }
                    verdict = answered
                } catch let error as WebhookCallError {
                    report(error, hook: hook, attributes: current)
                    if hook.failurePolicy == .ignore { continue }
                    throw error.apiError
                }
                mutation.warnings += verdict.warnings
                guard verdict.allowed else { throw WebhookMessages.denied(webhook: hook.name, status: verdict.status) }
                if let patch = verdict.patch, !patch.isEmpty, let object = current.object {
                    let patched = try Self.applyPatch(patch, to: object)
                    if patched != object {
                        current.object = patched
                        mutation.object = patched
                        mutation.changed = true
                        if round == 0 {
                            toReinvoke.formUnion(previouslyInvoked)
                            previouslyInvoked = []
                        }
                    }
                }
                if round == 0 && hook.reinvokeIfNeeded { previouslyInvoked.insert(hook.uid) }
            }
        }
        return mutation
    }

    static func applyPatch(_ patch: [JSONValue], to object: JSONValue) throws -> JSONValue {
        do {
            return try JSONPatch.apply(patch, to: object)
        } catch let error as APIError {
            throw APIError.internalError(error.message)
        }
    }

    // MARK: validating

    /// Calls every matching validating webhook at once; the first refusal (in webhook order) wins.
    func validate(_ attributes: AdmissionAttributes) async throws -> [String] {
        guard !attributes.isAdmissionConfiguration else { return [] }
        let hooks = await webhooks(.validating)
        guard !hooks.isEmpty else { return [] }
        let outcomes = await withTaskGroup(of: (Int, Result<[String], APIError>).self) { group in
            for (index, hook) in hooks.enumerated() {
                group.addTask { (index, await self.validateOne(hook, attributes)) }
            }
            var outcomes: [(Int, Result<[String], APIError>)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var warnings: [String] = []
        for outcome in outcomes {
            if case .success(let texts) = outcome { warnings += texts }
        }
        for outcome in outcomes {
            if case .failure(let error) = outcome { throw error }
        }
        return warnings
    }

    private func validateOne(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes) async -> Result<[String], APIError> {
        do {
            guard case .call(let version) = try await matcher.decide(hook, attributes) else { return .success([]) }
            guard let verdict = try await call(hook, attributes, version: version) else { return .success([]) }
            guard verdict.allowed else { return .failure(WebhookMessages.denied(webhook: hook.name, status: verdict.status)) }
            return .success(verdict.warnings)
        } catch let error as WebhookCallError {
            report(error, hook: hook, attributes: attributes)
            return hook.failurePolicy == .ignore ? .success([]) : .failure(error.apiError)
        } catch let error as APIError {
            return .failure(error)
        } catch {
            return .failure(.internalError(String(describing: error)))
        }
    }

    private func report(_ error: WebhookCallError, hook: AdmissionWebhook, attributes: AdmissionAttributes) {
        let failing = hook.failurePolicy == .ignore ? "open" : "closed"
        logger.warning("Failed calling webhook, failing \(failing)", metadata: [
            "webhook": "\(hook.name)", "error": "\(error.reason)", "resource": "\(attributes.resource)",
            "namespace": "\(attributes.namespace)", "name": "\(attributes.name)",
        ])
    }

    // MARK: one call

    /// Sends one AdmissionReview; nil when the webhook's match conditions exclude the request.
    /// Throws `WebhookCallError` for what failurePolicy governs, `APIError` for what it does not.
    func call(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes, version: String) async throws -> AdmissionReview.Verdict? {
        if attributes.dryRun {
            guard hook.sideEffects != nil else {
                throw WebhookCallError(webhook: hook.name, reason: "Webhook SideEffects is nil")
            }
            guard hook.supportsDryRun else { throw WebhookMessages.dryRunUnsupported(webhook: hook.name) }
        }
        if let matchConditions, !hook.matchConditions.isEmpty {
            do {
                guard try matchConditions(hook.matchConditions, attributes) else { return nil }
            } catch {
                throw WebhookCallError(webhook: hook.name, reason: "failed to evaluate match conditions: \(error)")
            }
        }
        guard let reviewVersion = hook.reviewVersion else {
            throw WebhookCallError(webhook: hook.name,
                                   reason: "webhook does not accept known AdmissionReview versions (v1, v1beta1)")
        }
        var sent = attributes
        if version != attributes.version {
            sent.requestVersion = attributes.version
            sent.version = version
            let apiVersion = JSONValue.string(attributes.group.isEmpty ? version : "\(attributes.group)/\(version)")
            sent.object?["apiVersion"] = apiVersion
            sent.oldObject?["apiVersion"] = apiVersion
        }
        let uid = newUID()
        let body = AdmissionReview.request(sent, uid: uid, version: reviewVersion).serialized()
        let (url, dialled, dialOverride) = try await target(of: hook)
        let call = WebhookCall(url: url, dialURL: dialled, dialOverride: dialOverride, caBundle: hook.caBundle,
                               timeoutSeconds: hook.timeoutSeconds, body: body)
        let answer: [UInt8]
        do {
            answer = try await transport.post(call)
        } catch let error as WebhookTransportError {
            throw WebhookCallError(webhook: hook.name, reason: "failed to call webhook: \(error.message)")
        }
        do {
            return try AdmissionReview.verify(answer, uid: uid, version: reviewVersion, mutating: hook.phase == .mutating)
        } catch {
            throw WebhookCallError(webhook: hook.name, reason: "received invalid webhook response: \(error.message)")
        }
    }

    /// The URL upstream posts to (with `?timeout=`), the URL dialled (a Service's resolved port),
    /// and for a Service the address its name is dialled at.
    func target(of hook: AdmissionWebhook) async throws -> (String, String, (host: String, address: String)?) {
        let timeout = "timeout=\(hook.timeoutSeconds)s"
        switch hook.endpoint {
        case .url(let url):
            let full = url + (url.contains("?") ? "&" : "?") + timeout
            return (full, full, nil)
        case .service(let namespace, let name, let path, let port):
            let host = "\(name).\(namespace).svc"
            let path = path.isEmpty ? "/" : path
            let url = "https://\(host):\(port)\(path)?\(timeout)"
            do {
                let resolved = try await resolveService(namespace, name, port)
                return (url, "https://\(host):\(resolved.port)\(path)?\(timeout)", (host, resolved.address))
            } catch {
                let reason = (error as? APIError)?.message ?? String(describing: error)
                throw WebhookCallError(webhook: hook.name, reason: "failed to call webhook: Post \(goQuote(url)): \(reason)")
            }
        }
    }
}
