import KyvernAPI

/// Validation beyond the metadata: the schema's rules and the per-kind rules upstream applies,
/// and on update the fields that may not change.
enum ObjectValidation {
    /// The causes that make `object` invalid; `old` is the stored object on update, nil on create.
    static func validate(_ object: JSONValue, old: JSONValue?, info: ResourceInfo, schemas: SchemaSet) -> [APIError.Cause] {
        var kindCauses = kindRules(object, info: info)
        if info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions" {
            kindCauses += CustomResourceDefinitionValidation.validate(object, old: old)
            kindCauses += CustomResourceRules.compileErrors(of: object, besides: kindCauses)
        }
        if info.group == "admissionregistration.k8s.io", info.resource.hasSuffix("webhookconfigurations") {
            kindCauses += WebhookConfigurationValidation.validate(object, old: old,
                                                                  mutating: info.resource == "mutatingwebhookconfigurations")
        }
        // Upstream's own checks word a missing field more precisely (e.g. a port of 0 is out of
        // range), so the schema's "Required value" is kept only for fields they did not mention.
        let mentioned = Set(kindCauses.map(\.field)).union(fieldsDecidedByKindRules(info))
        let schemaCauses = SchemaValidation.validate(object, definition: info.definition, schemas: schemas)
            .filter { !mentioned.contains($0.field) }
        var causes = kindCauses + schemaCauses
        if let old {
            causes += UpdateValidation.validate(object, old: old, info: info)
        }
        var seen: Set<APIError.Cause> = []
        return causes.filter { seen.insert($0).inserted }
    }

    /// Fields the schema lists as required whose absence upstream's own checks treat otherwise
    /// (a DaemonSet without a selector selects nothing and fails on its template's labels instead).
    static func fieldsDecidedByKindRules(_ info: ResourceInfo) -> Set<String> {
        switch (info.group, info.resource) {
        case ("apps", "daemonsets"): return ["spec.selector"]
        default: return []
        }
    }

    static func kindRules(_ object: JSONValue, info: ResourceInfo) -> [APIError.Cause] {
        switch (info.group, info.resource) {
        case ("", "pods"):
            return PodSpecValidation.validate(object["spec"], path: "spec")
        case ("", "services"):
            return ServiceValidation.validate(object)
        case ("", "configmaps"):
            return ConfigDataValidation.validateConfigMap(object)
        case ("", "secrets"):
            return ConfigDataValidation.validateSecret(object)
        case ("autoscaling", "horizontalpodautoscalers"):
            return ScalingValidation.autoscaler(object)
        case ("policy", "poddisruptionbudgets"):
            return ScalingValidation.disruptionBudget(object)
        case ("", "events"):
            return EventValidation.legacy(object, namespace: object[path: ["metadata", "namespace"]]?.stringValue ?? "",
                                          controllerField: "reportingComponent")
        default:
            return WorkloadValidation.validate(object, info: info)
        }
    }
}

extension ResourceHandler {
    /// Throws 422 Invalid naming every cause, as upstream does.
    func validateObject(_ object: JSONValue, old: JSONValue?, info: ResourceInfo) throws {
        var causes = ObjectValidation.validate(object, old: old, info: info, schemas: pruner.schemas)
        if let custom = customVersion(info) {
            causes += custom.validate(object, old: old)
        }
        if !causes.isEmpty {
            throw APIError.invalid(group: info.group, kind: info.kind,
                                   name: object[path: ["metadata", "name"]]?.stringValue ?? "", causes: causes)
        }
    }
}
