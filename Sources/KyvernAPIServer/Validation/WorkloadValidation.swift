import KyvernAPI

/// The pod templates and selectors of the workload kinds (Deployment, ReplicaSet, StatefulSet,
/// DaemonSet, ReplicationController, Job, CronJob, PodTemplate), as upstream's apps and batch validation.
enum WorkloadValidation {
    /// What a controller requires of its template's restart policy.
    enum RestartRule {
        /// Long-running controllers: only `Always` (the default); the kind names the controller in messages.
        case always(kind: String)
        /// Jobs: `OnFailure` or `Never`; an absent policy defaults to `Always` and fails.
        case runToCompletion
        /// PodTemplate: any valid policy.
        case any
    }

    static func validate(_ object: JSONValue, info: ResourceInfo) -> [APIError.Cause] {
        let spec = object["spec"]
        switch (info.group, info.resource) {
        case ("apps", "deployments"):
            return replicas(spec, "spec.replicas") + selectorAndTemplate(spec, path: "spec", kind: "ReplicaSet",
                                                                        emptyMessage: "empty selector is invalid for deployment")
                + deploymentStrategy(spec?["strategy"], path: "spec.strategy")
                + nonNegative(spec, "minReadySeconds", "spec") + nonNegative(spec, "revisionHistoryLimit", "spec")
                + progressDeadline(spec)
        case ("apps", "replicasets"):
            return replicas(spec, "spec.replicas") + nonNegative(spec, "minReadySeconds", "spec")
                + selectorAndTemplate(spec, path: "spec", kind: "ReplicaSet", emptyMessage: "empty selector is invalid for deployment")
        case ("apps", "statefulsets"):
            var causes: [APIError.Cause] = []
            if let policy = spec?["podManagementPolicy"]?.stringValue, !policy.isEmpty, policy != "OrderedReady", policy != "Parallel" {
                causes.append(.invalid("spec.podManagementPolicy", .string(policy), "must be 'OrderedReady' or 'Parallel'"))
            }
            if let strategy = spec?["updateStrategy"], let type = strategy["type"]?.stringValue, !type.isEmpty,
               type != "RollingUpdate", type != "OnDelete" {
                causes.append(.invalid("spec.updateStrategy", rendered: GoValueRendering.updateStrategy(strategy, kind: "StatefulSet"),
                                       "must be 'RollingUpdate' or 'OnDelete'"))
            }
            // Containers mount the claims of volumeClaimTemplates by name, as if they were volumes.
            let claims = (spec?["volumeClaimTemplates"]?.arrayValue ?? []).compactMap { $0[path: ["metadata", "name"]]?.stringValue }
            return causes + replicas(spec, "spec.replicas") + nonNegative(spec, "minReadySeconds", "spec")
                + selectorAndTemplate(spec, path: "spec", kind: "StatefulSet", emptyMessage: "empty selector is invalid for statefulset",
                                      claimVolumes: Set(claims))
        case ("apps", "daemonsets"):
            var causes: [APIError.Cause] = []
            if let strategy = spec?["updateStrategy"], let type = strategy["type"]?.stringValue, !type.isEmpty,
               type != "RollingUpdate", type != "OnDelete" {
                causes.append(.init(type: "FieldValueNotSupported",
                                    message: "Unsupported value: \(GoValueRendering.updateStrategy(strategy, kind: "DaemonSet")): supported values: \"RollingUpdate\", \"OnDelete\"",
                                    field: "spec.updateStrategy"))
            }
            // A DaemonSet's missing selector is no Required cause upstream: it selects nothing, so the template does not match.
            return causes + nonNegative(spec, "minReadySeconds", "spec")
                + selectorAndTemplate(spec, path: "spec", kind: "DaemonSet", emptyMessage: "empty selector is invalid for daemonset",
                                      requireSelector: false)
        case ("", "replicationcontrollers"):
            return replicas(spec, "spec.replicas") + nonNegative(spec, "minReadySeconds", "spec")
                + controllerTemplate(spec, path: "spec")
        case ("batch", "jobs"):
            return jobSpec(spec, path: "spec")
        case ("batch", "cronjobs"):
            var causes: [APIError.Cause] = []
            if (spec?["schedule"]?.stringValue ?? "").isEmpty { causes.append(.required("spec.schedule")) }
            causes += enumCause(spec?["concurrencyPolicy"], "spec.concurrencyPolicy", ["Allow", "Forbid", "Replace"])
            for key in ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"] {
                causes += nonNegative(spec, key, "spec")
            }
            return causes + jobSpec(spec?["jobTemplate"]?["spec"], path: "spec.jobTemplate.spec")
        case ("", "podtemplates"):
            return template(object["template"], path: "template", restart: .any)
        default:
            return []
        }
    }

    /// A rolling update's surge and unavailability: non-negative numbers or percentages, not both zero.
    static func deploymentStrategy(_ strategy: JSONValue?, path: String) -> [APIError.Cause] {
        guard let rolling = strategy?["rollingUpdate"], strategy?["type"]?.stringValue != "Recreate" else {
            if strategy?["type"]?.stringValue == "Recreate", strategy?["rollingUpdate"] != nil {
                return [.forbidden("\(path).rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
            }
            return []
        }
        var causes: [APIError.Cause] = []
        let unavailablePath = "\(path).rollingUpdate.maxUnavailable"
        causes += intOrPercent(rolling["maxUnavailable"], field: unavailablePath)
        causes += intOrPercent(rolling["maxSurge"], field: "\(path).rollingUpdate.maxSurge")
        if let unavailable = rolling["maxUnavailable"], let surge = rolling["maxSurge"],
           percentOrInt(unavailable) == 0, percentOrInt(surge) == 0 {
            causes.append(.invalid(unavailablePath, rendered: GoValueRendering.intOrString(unavailable), "may not be 0 when `maxSurge` is 0"))
        }
        if let unavailable = rolling["maxUnavailable"], case .string = unavailable, let percent = percentOrInt(unavailable), percent > 100 {
            causes.append(.invalid(unavailablePath, rendered: GoValueRendering.intOrString(unavailable), "must not be greater than 100%"))
        }
        return causes
    }

    /// The number of an int-or-percent value (`25%` is 25), nil when it is neither.
    static func percentOrInt(_ value: JSONValue) -> Int64? {
        switch value {
        case .int(let i): return i
        case .string(let s) where s.hasSuffix("%"): return Int64(s.dropLast())
        case .string(let s): return Int64(s) ?? 0
        default: return nil
        }
    }

    /// Upstream's `ValidatePositiveIntOrPercent`.
    static func intOrPercent(_ value: JSONValue?, field: String) -> [APIError.Cause] {
        switch value {
        case .int(let i)? where i < 0:
            return [.invalid(field, .int(i), "must be greater than or equal to 0")]
        case .string(let s)?:
            let digits = s.dropLast()
            if s.hasSuffix("%"), !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) { return [] }
            return [.invalid(field, rendered: GoValueRendering.intOrString(.string(s)),
                             NameValidation.regexError("a valid percent string must be a numeric string followed by an ending '%'",
                                                       "[0-9]+%", "1%", "93%"))]
        default:
            return []
        }
    }

    static func progressDeadline(_ spec: JSONValue?) -> [APIError.Cause] {
        guard let deadline = spec?["progressDeadlineSeconds"]?.intValue else { return [] }
        var causes = nonNegative(spec, "progressDeadlineSeconds", "spec")
        if deadline <= spec?["minReadySeconds"]?.intValue ?? 0 {
            causes.append(.invalid("spec.progressDeadlineSeconds", .int(deadline), "must be greater than minReadySeconds"))
        }
        return causes
    }

    static func replicas(_ spec: JSONValue?, _ field: String) -> [APIError.Cause] {
        nonNegative(spec, "replicas", "spec")
    }

    static func nonNegative(_ object: JSONValue?, _ key: String, _ path: String) -> [APIError.Cause] {
        guard let value = object?[key]?.intValue, value < 0 else { return [] }
        return [.invalid("\(path).\(key)", .int(value), "must be greater than or equal to 0")]
    }

    static func enumCause(_ value: JSONValue?, _ field: String, _ supported: [String]) -> [APIError.Cause] {
        guard let value, let text = value.stringValue, !text.isEmpty, !supported.contains(text) else { return [] }
        return [.notSupported(field, value, supported: supported)]
    }

    /// The template's labels as a Go map for messages and matching.
    static func labels(_ template: JSONValue?) -> [String: String] {
        (template?["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// A required, non-empty `metav1.LabelSelector` that matches the template's labels.
    static func selectorAndTemplate(_ spec: JSONValue?, path: String, kind: String, emptyMessage: String,
                                    requireSelector: Bool = true, claimVolumes: Set<String> = []) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let selectorValue = spec?["selector"]
        let selectorPath = "\(path).selector"
        var selector: LabelSelector?
        if selectorValue == nil || selectorValue?.isNull == true {
            if requireSelector {
                causes.append(.required(selectorPath))
            } else {
                selector = .nothing
            }
        } else {
            let matchLabels = selectorValue?["matchLabels"]?.objectValue ?? [:]
            let expressions = selectorValue?["matchExpressions"]?.arrayValue ?? []
            causes += validateLabels(matchLabels.compactMapValues(\.stringValue), fieldPath: "\(selectorPath).matchLabels")
            if matchLabels.isEmpty && expressions.isEmpty {
                causes.append(.invalid(selectorPath, rendered: GoValueRendering.labelSelector(selectorValue), emptyMessage))
            }
            do {
                selector = try LabelSelector(labelSelector: selectorValue)
            } catch {
                causes.append(.invalid(selectorPath, rendered: GoValueRendering.labelSelector(selectorValue), "invalid label selector"))
            }
        }
        let template = spec?["template"]
        if let selector, selector.matchesNothing || !selector.isEmpty, !selector.matches(labels(template)) {
            causes.append(.invalid("\(path).template.metadata.labels",
                                   rendered: GoValueRendering.stringMap(template?["metadata"]?["labels"]),
                                   "`selector` does not match template `labels`"))
        }
        return causes + self.template(template, path: "\(path).template", restart: .always(kind: kind), claimVolumes: claimVolumes)
    }

    /// ReplicationController: a plain label map selector (defaulted from the template) matching the template.
    static func controllerTemplate(_ spec: JSONValue?, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let template = spec?["template"]
        if let selector = spec?["selector"]?.objectValue?.compactMapValues(\.stringValue), !selector.isEmpty {
            causes += validateLabels(selector, fieldPath: "\(path).selector")
            if template != nil, !LabelSelector(matchLabels: selector).matches(labels(template)) {
                causes.append(.invalid("\(path).template.metadata.labels",
                                       rendered: GoValueRendering.stringMap(template?["metadata"]?["labels"]),
                                       "`selector` does not match template `labels`"))
            }
        }
        if template == nil {
            causes.append(.required("\(path).template"))
            return causes
        }
        return causes + self.template(template, path: "\(path).template", restart: .always(kind: "ReplicationController"))
    }

    static func jobSpec(_ spec: JSONValue?, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for key in ["parallelism", "completions", "backoffLimit"] {
            causes += nonNegative(spec, key, path)
        }
        if let seconds = spec?["activeDeadlineSeconds"]?.intValue, seconds <= 0 {
            causes.append(.invalid("\(path).activeDeadlineSeconds", .int(seconds), "must be greater than 0"))
        }
        causes += enumCause(spec?["completionMode"], "\(path).completionMode", ["NonIndexed", "Indexed"])
        if let selectorValue = spec?["selector"], spec?["manualSelector"]?.boolValue == true,
           let selector = try? LabelSelector(labelSelector: selectorValue), !selector.isEmpty,
           !selector.matches(labels(spec?["template"])) {
            causes.append(.invalid("\(path).template.metadata.labels",
                                   rendered: GoValueRendering.stringMap(spec?["template"]?["metadata"]?["labels"]),
                                   "`selector` does not match template `labels`"))
        }
        return causes + template(spec?["template"], path: "\(path).template", restart: .runToCompletion)
    }

    /// `ValidatePodTemplateSpec` plus the restart policy the controller allows.
    static func template(_ template: JSONValue?, path: String, restart: RestartRule,
                         claimVolumes: Set<String> = []) -> [APIError.Cause] {
        // Upstream names the template's labels and annotations without `metadata` (`spec.template.labels`).
        var causes = validateLabels(labels(template), fieldPath: "\(path).labels")
        causes += validateAnnotations((template?["metadata"]?["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                                      fieldPath: "\(path).annotations")
        let spec = template?["spec"]
        causes += PodSpecValidation.validate(spec, path: "\(path).spec", extraVolumes: claimVolumes)
        let policyField = "\(path).spec.restartPolicy"
        let policy = spec?["restartPolicy"]?.stringValue
        switch restart {
        case .always(let kind):
            if let policy, PodSpecValidation.restartPolicies.contains(policy), policy != "Always" {
                causes.append(.notSupported(policyField, .string(policy), supported: ["Always"]))
            }
            if spec?["activeDeadlineSeconds"] != nil {
                causes.append(.forbidden("\(path).spec.activeDeadlineSeconds", "activeDeadlineSeconds in \(kind) is not Supported"))
            }
        case .runToCompletion:
            let effective = policy ?? "Always"
            if effective != "OnFailure" && effective != "Never" && (policy == nil || PodSpecValidation.restartPolicies.contains(effective)) {
                causes.append(.notSupported(policyField, .string(effective), supported: ["OnFailure", "Never"]))
            }
        case .any:
            break
        }
        return causes
    }
}
