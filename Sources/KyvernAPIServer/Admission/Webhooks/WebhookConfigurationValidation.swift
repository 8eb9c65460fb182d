import Foundation
import KyvernAPI

/// Upstream's validation of Mutating- and ValidatingWebhookConfigurations (admissionregistration/v1),
/// with its field paths and messages. On update, a webhook already stored with side effects
/// `Unknown`/`Some` keeps being accepted, as upstream allows for objects from older versions.
enum WebhookConfigurationValidation {
    static let acceptedReviewVersions = ["v1", "v1beta1"]
    static let operations = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
    static let scopes = ["*", "Cluster", "Namespaced"]
    static let failurePolicies = ["Fail", "Ignore"]
    static let matchPolicies = ["Equivalent", "Exact"]
    static let sideEffectClasses = ["None", "NoneOnDryRun", "Some", "Unknown"]
    static let noSideEffectClasses = ["None", "NoneOnDryRun"]
    static let reinvocationPolicies = ["IfNeeded", "Never"]
    static let maxMatchConditions = 64

    static func validate(_ configuration: JSONValue, old: JSONValue?, mutating: Bool) -> [APIError.Cause] {
        let hooks = configuration["webhooks"]?.arrayValue ?? []
        // Only objects that already hold side effects other than None may keep them.
        let requireNoSideEffects = old.map { old in
            (old["webhooks"]?.arrayValue ?? []).allSatisfy {
                noSideEffectClasses.contains($0["sideEffects"]?.stringValue ?? "None")
            }
        } ?? true
        var causes: [APIError.Cause] = []
        var names: Set<String> = []
        for (i, hook) in hooks.enumerated() {
            let path = "webhooks[\(i)]"
            causes += webhook(hook, path: path, mutating: mutating, requireNoSideEffects: requireNoSideEffects)
            causes += reviewVersions(hook["admissionReviewVersions"], path: "\(path).admissionReviewVersions")
            if let name = hook["name"]?.stringValue, !name.isEmpty {
                if names.contains(name) {
                    causes.append(.duplicate("\(path).name", .string(name)))
                } else {
                    names.insert(name)
                }
            }
        }
        return causes
    }

    static func webhook(_ hook: JSONValue, path: String, mutating: Bool, requireNoSideEffects: Bool) -> [APIError.Cause] {
        var causes = fullyQualifiedName(hook["name"]?.stringValue ?? "", path: "\(path).name")
        for (i, rule) in (hook["rules"]?.arrayValue ?? []).enumerated() {
            causes += ruleWithOperations(rule, path: "\(path).rules[\(i)]")
        }
        if let policy = hook["failurePolicy"]?.stringValue, !failurePolicies.contains(policy) {
            causes.append(.notSupported("\(path).failurePolicy", .string(policy), supported: failurePolicies))
        }
        if let policy = hook["matchPolicy"]?.stringValue, !matchPolicies.contains(policy) {
            causes.append(.notSupported("\(path).matchPolicy", .string(policy), supported: matchPolicies))
        }
        let allowed = requireNoSideEffects ? noSideEffectClasses : sideEffectClasses
        if let sideEffects = hook["sideEffects"]?.stringValue {
            if !allowed.contains(sideEffects) {
                causes.append(.notSupported("\(path).sideEffects", .string(sideEffects), supported: allowed))
            }
        } else {
            causes.append(.required("\(path).sideEffects", "must specify one of \(allowed.joined(separator: ", "))"))
        }
        if let timeout = hook["timeoutSeconds"]?.intValue, timeout > 30 || timeout < 1 {
            causes.append(.invalid("\(path).timeoutSeconds", .int(timeout), "the timeout value must be between 1 and 30 seconds"))
        }
        if mutating, let policy = hook["reinvocationPolicy"]?.stringValue, !reinvocationPolicies.contains(policy) {
            causes.append(.notSupported("\(path).reinvocationPolicy", .string(policy), supported: reinvocationPolicies))
        }
        causes += labelSelector(hook["namespaceSelector"], path: "\(path).namespaceSelector")
        causes += labelSelector(hook["objectSelector"], path: "\(path).objectSelector")
        causes += clientConfig(hook["clientConfig"], path: "\(path).clientConfig")
        causes += matchConditions(hook["matchConditions"], path: "\(path).matchConditions")
        return causes
    }

    /// `IsFullyQualifiedName`: a DNS subdomain of at least three segments.
    static func fullyQualifiedName(_ name: String, path: String) -> [APIError.Cause] {
        if name.isEmpty { return [.required(path)] }
        let errors = NameValidation.isDNS1123Subdomain(name)
        if !errors.isEmpty { return [.invalid(path, .string(name), errors.joined(separator: ","))] }
        if name.split(separator: ".", omittingEmptySubsequences: false).count < 3 {
            return [.invalid(path, .string(name), "should be a domain with at least three segments separated by dots")]
        }
        return []
    }

    static func reviewVersions(_ value: JSONValue?, path: String) -> [APIError.Cause] {
        let versions = (value?.arrayValue ?? []).compactMap(\.stringValue)
        if versions.isEmpty {
            return [.required(path, "must specify one of \(acceptedReviewVersions.joined(separator: ", "))")]
        }
        var causes: [APIError.Cause] = []
        var seen: Set<String> = []
        for (i, version) in versions.enumerated() {
            if !seen.insert(version).inserted {
                causes.append(.invalid("\(path)[\(i)]", .string(version), "duplicate version"))
                continue
            }
            for error in NameValidation.isDNS1035Label(version) {
                causes.append(.invalid("\(path)[\(i)]", .string(version), error))
            }
        }
        if !versions.contains(where: acceptedReviewVersions.contains) {
            causes.append(.invalid(path, rendered: goSlice(versions),
                                   "must include at least one of \(acceptedReviewVersions.joined(separator: ", "))"))
        }
        return causes
    }

    static func ruleWithOperations(_ rule: JSONValue, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let operations = strings(rule["operations"])
        if operations.isEmpty { causes.append(.required("\(path).operations")) }
        if operations.count > 1 && operations.contains("*") {
            causes.append(.invalid("\(path).operations", rendered: goSlice(operations, type: "admissionregistration.OperationType"),
                                   "if '*' is present, must not specify other operations"))
        }
        for (i, operation) in operations.enumerated() where !self.operations.contains(operation) {
            causes.append(.notSupported("\(path).operations[\(i)]", .string(operation), supported: self.operations))
        }
        let groups = strings(rule["apiGroups"])
        if rule["apiGroups"]?.arrayValue == nil || groups.isEmpty { causes.append(.required("\(path).apiGroups")) }
        if groups.count > 1 && groups.contains("*") {
            causes.append(.invalid("\(path).apiGroups", rendered: goSlice(groups), "if '*' is present, must not specify other API groups"))
        }
        let versions = strings(rule["apiVersions"])
        if versions.isEmpty { causes.append(.required("\(path).apiVersions")) }
        if versions.count > 1 && versions.contains("*") {
            causes.append(.invalid("\(path).apiVersions", rendered: goSlice(versions), "if '*' is present, must not specify other API versions"))
        }
        for (i, version) in versions.enumerated() where version.isEmpty {
            causes.append(.required("\(path).apiVersions[\(i)]"))
        }
        causes += resources(strings(rule["resources"]), path: "\(path).resources")
        if let scope = rule["scope"]?.stringValue, !scopes.contains(scope) {
            causes.append(.notSupported("\(path).scope", .string(scope), supported: scopes))
        }
        return causes
    }

    static func resources(_ resources: [String], path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        if resources.isEmpty { causes.append(.required(path)) }
        var wildcardSubresourcesOf: Set<String> = []   // x/*
        var subresourcesOfWildcard: Set<String> = []   // */x
        var hasDoubleWildcard = false
        var hasSingleWildcard = false
        var hasResourceWithoutSubresource = false
        for (i, entry) in resources.enumerated() {
            if entry.isEmpty {
                causes.append(.required("\(path)[\(i)]"))
                continue
            }
            if entry == "*/*" { hasDoubleWildcard = true }
            if entry == "*" { hasSingleWildcard = true }
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 1 {
                hasResourceWithoutSubresource = entry != "*"
                continue
            }
            let (res, sub) = (parts[0], parts[1])
            if wildcardSubresourcesOf.contains(res) {
                causes.append(.invalid("\(path)[\(i)]", .string(entry), "if '\(res)/*' is present, must not specify \(entry)"))
            }
            if subresourcesOfWildcard.contains(sub) {
                causes.append(.invalid("\(path)[\(i)]", .string(entry), "if '*/\(sub)' is present, must not specify \(entry)"))
            }
            if sub == "*" { wildcardSubresourcesOf.insert(res) }
            if res == "*" { subresourcesOfWildcard.insert(sub) }
        }
        if resources.count > 1 && hasDoubleWildcard {
            causes.append(.invalid(path, rendered: goSlice(resources), "if '*/*' is present, must not specify other resources"))
        }
        if hasSingleWildcard && hasResourceWithoutSubresource {
            causes.append(.invalid(path, rendered: goSlice(resources), "if '*' is present, must not specify other resources without subresources"))
        }
        return causes
    }

    static func clientConfig(_ config: JSONValue?, path: String) -> [APIError.Cause] {
        let url = config?["url"].flatMap { $0.isNull ? nil : $0.stringValue }
        let service = config?["service"].flatMap { $0.isNull ? nil : $0 }
        switch (url, service) {
        case (nil, nil), (.some, .some):
            return [.required(path, "exactly one of url or service is required")]
        case (let url?, nil):
            return webhookURL(url, path: "\(path).url")
        case (nil, let service?):
            return webhookService(service, path: "\(path).service")
        }
    }

    /// Upstream's `ValidateWebhookURL` with https forced.
    static func webhookURL(_ text: String, path: String) -> [APIError.Cause] {
        let form = "; desired format: https://host[/path]"
        guard let url = URLComponents(string: text) else {
            return [.required(path, "url must be a valid URL: parse \(goQuote(text)): invalid URL\(form)")]
        }
        var causes: [APIError.Cause] = []
        let scheme = url.scheme ?? ""
        if scheme != "https" {
            causes.append(.invalid(path, .string(scheme), "'https' is the only allowed URL scheme\(form)"))
        }
        let host = url.percentEncodedHost.map { host in url.port.map { "\(host):\($0)" } ?? host } ?? ""
        if host.isEmpty {
            causes.append(.invalid(path, .string(host), "host must be specified\(form)"))
        }
        if url.user != nil || url.password != nil {
            let user = [url.percentEncodedUser, url.percentEncodedPassword].compactMap { $0 }.joined(separator: ":")
            causes.append(.invalid(path, .string(user), "user information is not permitted in the URL"))
        }
        if let fragment = url.fragment, !fragment.isEmpty {
            causes.append(.invalid(path, .string(fragment), "fragments are not permitted in the URL"))
        }
        if let query = url.percentEncodedQuery, !query.isEmpty {
            causes.append(.invalid(path, .string(query), "query parameters are not permitted in the URL"))
        }
        return causes
    }

    /// Upstream's `ValidateWebhookService`.
    static func webhookService(_ service: JSONValue, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        if (service["name"]?.stringValue ?? "").isEmpty { causes.append(.required("\(path).name", "service name is required")) }
        if (service["namespace"]?.stringValue ?? "").isEmpty {
            causes.append(.required("\(path).namespace", "service namespace is required"))
        }
        let port = service["port"]?.intValue ?? 443
        if port < 1 || port > 65535 {
            causes.append(.invalid("\(path).port", .int(port), "port is not valid: must be between 1 and 65535, inclusive"))
        }
        guard let urlPath = service["path"]?.stringValue, !urlPath.isEmpty, urlPath != "/" else { return causes }
        if urlPath == "//" {
            causes.append(.invalid("\(path).path", .string(urlPath), "segment[0] may not be empty"))
            return causes
        }
        if !urlPath.hasPrefix("/") {
            causes.append(.invalid("\(path).path", .string(urlPath), "must start with a '/'"))
        }
        var check = String(urlPath.dropFirst())
        if check.hasSuffix("/") { check.removeLast() }
        for (i, step) in check.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            if step.isEmpty {
                causes.append(.invalid("\(path).path", .string(urlPath), "segment[\(i)] may not be empty"))
                continue
            }
            for failure in NameValidation.isDNS1123Subdomain(String(step)) {
                causes.append(.invalid("\(path).path", .string(urlPath), "segment[\(i)]: \(failure)"))
            }
        }
        return causes
    }

    /// `metav1validation.ValidateLabelSelector`.
    static func labelSelector(_ selector: JSONValue?, path: String) -> [APIError.Cause] {
        guard let selector, !selector.isNull else { return [] }
        var causes: [APIError.Cause] = []
        for (i, expression) in (selector["matchExpressions"]?.arrayValue ?? []).enumerated() {
            let at = "\(path).matchExpressions[\(i)]"
            let op = expression["operator"]?.stringValue ?? ""
            let values = strings(expression["values"])
            switch op {
            case "In", "NotIn":
                if values.isEmpty {
                    causes.append(.required("\(at).values", "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !values.isEmpty {
                    causes.append(.forbidden("\(at).values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            default:
                causes.append(.invalid("\(at).operator", .string(op), "not a valid selector operator"))
            }
            let key = expression["key"]?.stringValue ?? ""
            for error in NameValidation.isQualifiedName(key) {
                causes.append(.invalid("\(at).key", .string(key), error))
            }
        }
        for (key, value) in (selector["matchLabels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for error in NameValidation.isQualifiedName(key) {
                causes.append(.invalid("\(path).matchLabels", .string(key), error))
            }
            let text = value.stringValue ?? ""
            for error in NameValidation.isValidLabelValue(text) {
                causes.append(.invalid("\(path).matchLabels", .string(text), error))
            }
        }
        return causes
    }

    /// Names and expressions of `matchConditions`; compiling the CEL is the CEL module's part.
    static func matchConditions(_ value: JSONValue?, path: String) -> [APIError.Cause] {
        let conditions = value?.arrayValue ?? []
        var causes: [APIError.Cause] = []
        if conditions.count > maxMatchConditions {
            causes.append(APIError.Cause(type: "FieldValueTooMany",
                                         message: "Too many: \(conditions.count): must have at most \(maxMatchConditions) items",
                                         field: path))
        }
        var names: Set<String> = []
        for (i, condition) in conditions.enumerated() {
            let name = condition["name"]?.stringValue ?? ""
            if name.isEmpty {
                causes.append(.required("\(path)[\(i)].name"))
            } else {
                for error in NameValidation.isQualifiedName(name) {
                    causes.append(.invalid("\(path)[\(i)].name", .string(name), error))
                }
                if !names.insert(name).inserted {
                    causes.append(.duplicate("\(path)[\(i)].name", .string(name)))
                }
            }
            if (condition["expression"]?.stringValue ?? "").isEmpty {
                causes.append(.required("\(path)[\(i)].expression"))
            }
        }
        return causes
    }

    private static func strings(_ value: JSONValue?) -> [String] {
        (value?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Go's `%#v` of a string slice, as upstream prints a list in an Invalid value.
    static func goSlice(_ values: [String], type: String = "string") -> String {
        "[]\(type){" + values.map(goQuote).joined(separator: ", ") + "}"
    }
}
