import KyvernAPI

/// The bounds users meet with `kubectl autoscale` and `kubectl create pdb`: replica bounds of a
/// HorizontalPodAutoscaler and the counts or percentages of a PodDisruptionBudget.
enum ScalingValidation {
    static func autoscaler(_ object: JSONValue) -> [APIError.Cause] {
        let spec = object["spec"]
        var causes: [APIError.Cause] = []
        let minReplicas = spec?["minReplicas"]?.intValue
        let maxReplicas = spec?["maxReplicas"]?.intValue ?? 0
        if let minReplicas, minReplicas < 1 {
            causes.append(.invalid("spec.minReplicas", .int(minReplicas), "must be greater than or equal to 1"))
        }
        if maxReplicas < 1 {
            causes.append(.invalid("spec.maxReplicas", .int(maxReplicas), "must be greater than 0"))
        }
        if let minReplicas, maxReplicas < minReplicas {
            causes.append(.invalid("spec.maxReplicas", .int(maxReplicas), "must be greater than or equal to `minReplicas`"))
        }
        if let target = spec?["scaleTargetRef"] {
            for key in ["kind", "name"] where (target[key]?.stringValue ?? "").isEmpty {
                causes.append(.required("spec.scaleTargetRef.\(key)"))
            }
        }
        return causes
    }

    static func disruptionBudget(_ object: JSONValue) -> [APIError.Cause] {
        let spec = object["spec"]
        var causes: [APIError.Cause] = []
        for key in ["minAvailable", "maxUnavailable"] {
            guard let value = spec?[key] else { continue }
            let field = "spec.\(key)"
            causes += WorkloadValidation.intOrPercent(value, field: field)
            if case .string = value, let percent = WorkloadValidation.percentOrInt(value), percent > 100 {
                causes.append(.invalid(field, rendered: GoValueRendering.intOrString(value), "must not be greater than 100%"))
            }
        }
        causes += WorkloadValidation.enumCause(spec?["unhealthyPodEvictionPolicy"], "spec.unhealthyPodEvictionPolicy",
                                               ["AlwaysAllow", "IfHealthyBudget"])
        return causes
    }
}
