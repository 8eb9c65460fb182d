import Foundation
import KyvernAPI
import KyvernCEL
import Synchronization

/// Upstream's ValidatingAdmissionPolicy plugin: every binding whose policy matches a request has
/// the policy's CEL validations evaluated over `object`, `oldObject`, `request`, `params`,
/// `namespaceObject` and `variables`; a failed validation denies the request, warns, or is only
/// audited, as the binding's `validationActions` say. Policies and bindings are read from the
/// watch cache, so a change applies to the next request.
struct ValidatingAdmissionPolicies: Sendable {
    let cache: WatchCache
    /// Resolves a policy's `paramKind` (built-in or custom kinds).
    var findKind: @Sendable (_ apiVersion: String, _ kind: String) -> ResourceInfo? = { apiVersion, kind in
        ResourceCatalog.all.first { $0.groupVersion == apiVersion && $0.kind == kind }
    }
    private let programs = ProgramCache()

    static let group = "admissionregistration.k8s.io"
    static let costLimit: UInt64 = 1_000_000

    init(cache: WatchCache) {
        self.cache = cache
    }

    /// What the matching bindings said besides denying: warnings for the client (Warn) and
    /// annotations for the request's audit event (Audit, and the policies' `auditAnnotations`).
    struct Verdict: Sendable, Equatable {
        var warnings: [String] = []
        var auditAnnotations: [String: String] = [:]
    }

    /// Upstream's audit annotation key for failed validations whose binding says Audit.
    static let validationFailureAnnotation = "validation.policy.admission.k8s.io/validation_failure"

    /// Evaluates every matching binding; throws the first denial (Deny).
    func validate(_ attributes: AdmissionAttributes) async throws -> Verdict {
        // Upstream exempts its own configuration kinds, so a bad policy cannot lock itself in.
        if attributes.group == Self.group { return Verdict() }
        let bindings = await list("validatingadmissionpolicybindings")
        guard !bindings.isEmpty else { return Verdict() }
        let policies = Dictionary(await list("validatingadmissionpolicies").compactMap { policy in
            policy[path: ["metadata", "name"]]?.stringValue.map { ($0, policy) }
        }, uniquingKeysWith: { first, _ in first })
        var verdict = Verdict()
        var audited: [JSONValue] = []
        for binding in bindings {
            guard let policyName = binding[path: ["spec", "policyName"]]?.stringValue,
                  let policy = policies[policyName] else { continue }
            let bindingName = binding[path: ["metadata", "name"]]?.stringValue ?? ""
            guard await matches(policy[path: ["spec", "matchConstraints"]], attributes, required: true),
                  await matches(binding[path: ["spec", "matchResources"]], attributes, required: false) else { continue }
            let actions = Set((binding[path: ["spec", "validationActions"]]?.arrayValue ?? []).compactMap(\.stringValue))
            let failClosed = policy[path: ["spec", "failurePolicy"]]?.stringValue != "Ignore"
            let prefix = "ValidatingAdmissionPolicy '\(policyName)' with binding '\(bindingName)'"
            let outcome = await evaluate(policy, binding: binding, attributes)
            for failure in outcome.failures {
                if failure.isError && !failClosed { continue }
                if actions.contains("Deny") {
                    throw APIError(code: failure.code, reason: failure.reason, message: "\(prefix) denied request: \(failure.message)")
                }
                if actions.contains("Warn") {
                    verdict.warnings.append("Validation failed for \(prefix): \(failure.message)")
                }
                if actions.contains("Audit") {
                    var entry: [String: JSONValue] = [
                        "message": .string(failure.message), "policy": .string(policyName), "binding": .string(bindingName),
                        "validationActions": .array(actions.sorted().map(JSONValue.string)),
                    ]
                    if let index = failure.expressionIndex { entry["expressionIndex"] = .int(Int64(index)) }
                    audited.append(.object(entry))
                }
            }
            for (key, value) in outcome.auditAnnotations { verdict.auditAnnotations["\(policyName)/\(key)"] = value }
        }
        if !audited.isEmpty {
            verdict.auditAnnotations[Self.validationFailureAnnotation] = String(decoding: JSONValue.array(audited).serialized(), as: UTF8.self)
        }
        return verdict
    }

    /// One policy's evaluation under one binding: its failed validations and its audit annotations.
    struct Outcome: Sendable {
        var failures: [Failure] = []
        var auditAnnotations: [String: String] = [:]
    }

    struct Failure: Sendable {
        var message: String
        var reason: String = "Invalid"
        var isError = false
        /// Which of `spec.validations` failed (nil for variables, params and match conditions).
        var expressionIndex: Int?

        var code: Int {
            switch reason {
            case "Forbidden": 403
            case "Unauthorized": 401
            case "RequestEntityTooLarge": 413
            default: 422
            }
        }
    }

    /// The failed validations (and evaluation errors) and the audit annotations of one policy under
    /// one binding.
    func evaluate(_ policy: JSONValue, binding: JSONValue, _ attributes: AdmissionAttributes) async -> Outcome {
        var bindings: [String: CELValue] = [
            "object": CELValue(json: attributes.object ?? .null),
            "oldObject": CELValue(json: attributes.oldObject ?? .null),
            "request": CELValue(json: AdmissionReview.request(attributes, uid: "", version: "v1")[path: ["request"]] ?? .null),
            "namespaceObject": CELValue(json: await namespaceObject(attributes) ?? .null),
        ]
        switch await params(policy, binding: binding, attributes) {
        case .value(let params): bindings["params"] = CELValue(json: params ?? .null)
        case .skip: return Outcome()
        case .failure(let failure): return Outcome(failures: [failure])
        }
        // Variables in order, each seeing the ones before it.
        var variables: [String: JSONValue] = [:]
        for variable in policy[path: ["spec", "variables"]]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue, let expression = variable["expression"]?.stringValue else { continue }
            bindings["variables"] = CELValue(json: .object(variables))
            switch run(expression, bindings) {
            case .success(let value): variables[name] = value.jsonValue ?? .null
            case .failure(let message):
                return Outcome(failures: [Failure(message: "variable \(goQuote(name)) resulted in error: \(message)", isError: true)])
            }
        }
        bindings["variables"] = CELValue(json: .object(variables))
        for condition in policy[path: ["spec", "matchConditions"]]?.arrayValue ?? [] {
            let expression = condition["expression"]?.stringValue ?? "true"
            switch run(expression, bindings) {
            case .success(.bool(false)): return Outcome()
            case .success(.bool(true)): continue
            case .success:
                return Outcome(failures: [Failure(message: "matchCondition \(goQuote(condition["name"]?.stringValue ?? "")) must evaluate to bool", isError: true)])
            case .failure(let message):
                return Outcome(failures: [Failure(message: "failed to evaluate match condition: \(message)", isError: true)])
            }
        }
        var outcome = Outcome()
        for (index, validation) in (policy[path: ["spec", "validations"]]?.arrayValue ?? []).enumerated() {
            let expression = validation["expression"]?.stringValue ?? ""
            let reason = validation["reason"]?.stringValue ?? "Invalid"
            switch run(expression, bindings) {
            case .success(.bool(true)):
                continue
            case .success(.bool(false)):
                var message = validation["message"]?.stringValue ?? "failed expression: \(expression)"
                if let messageExpression = validation["messageExpression"]?.stringValue,
                   case .success(.string(let text)) = run(messageExpression, bindings), !text.isEmpty {
                    message = text
                }
                outcome.failures.append(Failure(message: message, reason: reason, expressionIndex: index))
            case .success(let other):
                outcome.failures.append(Failure(message: "expression '\(expression)' resulted in error: expected bool, got \(other)",
                                                isError: true, expressionIndex: index))
            case .failure(let message):
                outcome.failures.append(Failure(message: "expression '\(expression)' resulted in error: \(message)",
                                                isError: true, expressionIndex: index))
            }
        }
        // Audit annotations: a string is recorded under `<policy>/<key>`, null records nothing.
        for annotation in policy[path: ["spec", "auditAnnotations"]]?.arrayValue ?? [] {
            guard let key = annotation["key"]?.stringValue, let expression = annotation["valueExpression"]?.stringValue else { continue }
            switch run(expression, bindings) {
            case .success(.string(let value)): outcome.auditAnnotations[key] = value
            case .success(.null): continue
            case .success(let other):
                outcome.failures.append(Failure(message: "valueExpression '\(expression)' resulted in error: expected string, got \(other)",
                                                isError: true))
            case .failure(let message):
                outcome.failures.append(Failure(message: "valueExpression '\(expression)' resulted in error: \(message)", isError: true))
            }
        }
        return outcome
    }

    private enum Evaluation {
        case success(CELValue)
        case failure(String)
    }

    private func run(_ expression: String, _ bindings: [String: CELValue]) -> Evaluation {
        switch programs.program(expression) {
        case .failure(let error): return .failure("compilation failed: \(error)")
        case .success(let program):
            switch program.evaluate(bindings, costLimit: Self.costLimit).value {
            case .success(let value): return .success(value)
            case .failure(let error): return .failure("\(error)")
            }
        }
    }

    private enum Params {
        case value(JSONValue?)
        case skip
        case failure(Failure)
    }

    /// The binding's `paramRef` object of the policy's `paramKind` (null when the policy has none).
    private func params(_ policy: JSONValue, binding: JSONValue, _ attributes: AdmissionAttributes) async -> Params {
        guard let kind = policy[path: ["spec", "paramKind"]] else { return .value(nil) }
        guard let ref = binding[path: ["spec", "paramRef"]] else {
            return .failure(Failure(message: "failed to configure binding: no paramRef specified", isError: true))
        }
        let notFound: Params = ref["parameterNotFoundAction"]?.stringValue == "Allow"
            ? .skip : .failure(Failure(message: "no params found for policy binding with `Deny` parameterNotFoundAction"))
        guard let info = findKind(kind["apiVersion"]?.stringValue ?? "", kind["kind"]?.stringValue ?? "") else {
            return .failure(Failure(message: "failed to configure binding: paramKind \(kind) is not served", isError: true))
        }
        let namespace = info.namespaced ? (ref["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? attributes.namespace) : nil
        if let name = ref["name"]?.stringValue, !name.isEmpty {
            guard let found = await cache.get(key: StorageKeys.key(info, namespace: namespace, name: name)) else { return notFound }
            return .value(found.object)
        }
        let selector = Self.selector(ref["selector"])
        let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
        let candidates = await cache.list(bucket: bucket, keyPrefix: StorageKeys.prefix(info, namespace: namespace)).items
        guard let first = candidates.first(where: { selector?.matches(labelsOf: $0.object) ?? true }) else { return notFound }
        return .value(first.object)
    }

    private func namespaceObject(_ attributes: AdmissionAttributes) async -> JSONValue? {
        guard !attributes.namespace.isEmpty else { return nil }
        return await cache.get(key: StorageKeys.resourcePrefix(group: "", resource: "namespaces") + attributes.namespace)?.object
    }

    /// A policy's `matchConstraints` or a binding's `matchResources`: resource rules (with names),
    /// exclusions, and namespace and object selectors.
    private func matches(_ constraints: JSONValue?, _ attributes: AdmissionAttributes, required: Bool) async -> Bool {
        guard let constraints, case .object = constraints else { return !required }
        func ruleMatches(_ rule: JSONValue) -> Bool {
            let names = (rule["resourceNames"]?.arrayValue ?? []).compactMap(\.stringValue)
            return WebhookRule(rule).matches(attributes) && (names.isEmpty || names.contains(attributes.name))
        }
        let rules = constraints["resourceRules"]?.arrayValue ?? []
        if rules.isEmpty ? required : !rules.contains(where: ruleMatches) { return false }
        if (constraints["excludeResourceRules"]?.arrayValue ?? []).contains(where: ruleMatches) { return false }
        if let selector = Self.selector(constraints["objectSelector"]) {
            let labelled = [attributes.object, attributes.oldObject].compactMap { $0 }
            if !labelled.contains(where: { selector.matches(labelsOf: $0) }) { return false }
        }
        if let selector = Self.selector(constraints["namespaceSelector"]), !attributes.namespace.isEmpty {
            let namespace = await namespaceObject(attributes) ?? [:]
            if !selector.matches(labelsOf: namespace) { return false }
        }
        return true
    }

    /// A selector that selects something less than everything; nil or `{}` select everything.
    private static func selector(_ json: JSONValue?) -> LabelSelector? {
        guard let json, case .object(let members) = json, !members.isEmpty,
              let selector = try? LabelSelector(labelSelector: json), !selector.isEmpty else { return nil }
        return selector
    }

    private func list(_ resource: String) async -> [JSONValue] {
        let bucket = StorageKeys.resourcePrefix(group: Self.group, resource: resource)
        return await cache.list(bucket: bucket, keyPrefix: bucket).items.map(\.object)
    }
}

/// Compiled CEL programs by expression: policies are evaluated on every matching request.
final class ProgramCache: Sendable {
    static let environment = CELEnvironment(variables: [
        "object": .dyn, "oldObject": .dyn, "request": .dyn, "params": .dyn, "namespaceObject": .dyn, "variables": .dyn,
    ])
    private let programs = Mutex<[String: Result<CELProgram, CELCompileError>]>([:])

    func program(_ expression: String) -> Result<CELProgram, CELCompileError> {
        if let cached = programs.withLock({ $0[expression] }) { return cached }
        let compiled = Self.environment.compile(expression)
        programs.withLock { programs in
            if programs.count > 10_000 { programs.removeAll() }
            programs[expression] = compiled
        }
        return compiled
    }
}
