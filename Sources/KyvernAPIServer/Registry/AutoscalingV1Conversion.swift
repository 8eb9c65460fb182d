import KyvernAPI

/// autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscalers are one resource, stored once in the
/// v2 shape and converted on the way in and out of v1, as upstream.
///
/// v1 has one CPU target (`targetCPUUtilizationPercentage`) where v2 has a list of metrics. What v1
/// cannot hold travels in annotations, so a read-modify-write through v1 loses nothing:
/// `autoscaling.alpha.kubernetes.io/metrics` (the other metrics, in v1's metric format),
/// `…/current-metrics` (every current metric), `…/conditions` and `…/behavior`. They are lifted back
/// out when a v1 object comes in, and never stored. A v1 object with no target at all gets v1's
/// implicit one, 80% CPU.
enum AutoscalingV1Conversion {
    static let metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
    static let currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
    static let conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"
    static let behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"
    static let roundTripAnnotations = [metricsAnnotation, currentMetricsAnnotation, conditionsAnnotation, behaviorAnnotation]
    static let defaultCPUUtilization: Int64 = 80

    /// True for the autoscaling/v1 resource served from the v2 storage.
    static func isV1(_ info: ResourceInfo) -> Bool {
        info.group == "autoscaling" && info.version == "v1" && info.resource == "horizontalpodautoscalers"
    }

    /// The autoscaling/v2 resource that holds both shapes.
    static var storedInfo: ResourceInfo {
        ResourceCatalog.find(group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers")!
    }

    // MARK: v2 → v1

    /// autoscaling/v2 (the stored shape) → autoscaling/v1. Objects of other kinds pass unchanged.
    static func toV1(_ object: JSONValue) -> JSONValue {
        guard var fields = object.objectValue, fields["kind"]?.stringValue == "HorizontalPodAutoscaler" else { return object }
        fields["apiVersion"] = "autoscaling/v1"
        var annotations = withoutRoundTrip(fields["metadata"]?["annotations"]?.objectValue ?? [:])
        if let spec = fields["spec"]?.objectValue {
            let metrics = spec["metrics"]?.arrayValue ?? []
            var out: [String: JSONValue] = [:]
            out["scaleTargetRef"] = spec["scaleTargetRef"]
            out["minReplicas"] = spec["minReplicas"]
            out["maxReplicas"] = spec["maxReplicas"]
            if let cpu = metrics.first(where: isCPUResource) {
                out["targetCPUUtilizationPercentage"] = cpu[path: ["resource", "target", "averageUtilization"]]
            }
            let others = metrics.filter { !(isCPUResource($0) && $0[path: ["resource", "target", "averageUtilization"]] != nil) }
            if !others.isEmpty { annotations[metricsAnnotation] = .string(JSONValue.array(others.map(metricSpecToV1)).serializedText) }
            if let behavior = spec["behavior"], !behavior.isNull {
                annotations[behaviorAnnotation] = .string(internalBehavior(behavior).serializedText)
            }
            fields["spec"] = .object(out)
        }
        if let status = fields["status"]?.objectValue {
            let current = status["currentMetrics"]?.arrayValue ?? []
            let conditions = status["conditions"]?.arrayValue ?? []
            var out: [String: JSONValue] = [:]
            out["observedGeneration"] = status["observedGeneration"]
            out["lastScaleTime"] = status["lastScaleTime"]
            out["currentReplicas"] = status["currentReplicas"] ?? 0
            out["desiredReplicas"] = status["desiredReplicas"] ?? 0
            for metric in current where isCPUResource(metric) {
                if let utilization = metric[path: ["resource", "current", "averageUtilization"]] {
                    out["currentCPUUtilizationPercentage"] = utilization
                }
            }
            if !current.isEmpty {
                annotations[currentMetricsAnnotation] = .string(JSONValue.array(current.map(metricStatusToV1)).serializedText)
            }
            if !conditions.isEmpty { annotations[conditionsAnnotation] = .string(JSONValue.array(conditions).serializedText) }
            fields["status"] = .object(out)
        }
        setAnnotations(&fields, annotations)
        return .object(fields)
    }

    // MARK: v1 → v2

    /// autoscaling/v1 → autoscaling/v2 (the stored shape). `partial` is for a server-side apply
    /// configuration: only the fields it names are converted, and no default target is added.
    static func toV2(_ object: JSONValue, partial: Bool = false) throws -> JSONValue {
        guard var fields = object.objectValue else { return object }
        fields["apiVersion"] = "autoscaling/v2"
        var annotations = fields["metadata"]?["annotations"]?.objectValue ?? [:]
        func lift(_ key: String) throws -> JSONValue? {
            guard let text = annotations.removeValue(forKey: key)?.stringValue else { return nil }
            do {
                return try JSONValue.parse(text)
            } catch {
                throw APIError.badRequest("annotation \(key) is not valid JSON: \(error)")
            }
        }
        let otherMetrics = try lift(metricsAnnotation)?.arrayValue
        let currentMetrics = try lift(currentMetricsAnnotation)?.arrayValue
        let conditions = try lift(conditionsAnnotation)?.arrayValue
        let behavior = try lift(behaviorAnnotation)
        if var spec = fields["spec"]?.objectValue {
            var metrics: [JSONValue] = []
            if let others = otherMetrics { metrics = others.map(metricSpecToV2) }
            if let cpu = spec.removeValue(forKey: "targetCPUUtilizationPercentage"), !cpu.isNull {
                metrics.append(cpuMetric(cpu))
            }
            if metrics.isEmpty, !partial { metrics = [cpuMetric(.int(defaultCPUUtilization))] }
            if !metrics.isEmpty { spec["metrics"] = .array(metrics) }
            if let behavior, behavior.objectValue != nil { spec["behavior"] = externalBehavior(behavior) }
            fields["spec"] = .object(spec)
        }
        if var status = fields["status"]?.objectValue {
            if let cpu = status.removeValue(forKey: "currentCPUUtilizationPercentage"), !cpu.isNull {
                status["currentMetrics"] = [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": cpu]]]]
            }
            if let currentMetrics { status["currentMetrics"] = .array(currentMetrics.map(metricStatusToV2)) }
            if let conditions { status["conditions"] = .array(conditions) }
            fields["status"] = .object(status)
        }
        setAnnotations(&fields, annotations)
        return .object(fields)
    }

    // MARK: metrics

    private static func isCPUResource(_ metric: JSONValue) -> Bool {
        metric["type"]?.stringValue == "Resource" && metric[path: ["resource", "name"]]?.stringValue == "cpu"
    }

    private static func cpuMetric(_ utilization: JSONValue) -> JSONValue {
        ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": utilization]]]
    }

    /// v2's MetricSpec in v1's (v2beta1-era) metric format; quantities v1 requires default to "0".
    static func metricSpecToV1(_ metric: JSONValue) -> JSONValue {
        let type = metric["type"]?.stringValue ?? ""
        var out: [String: JSONValue] = ["type": .string(type)]
        switch type {
        case "Object":
            let source = metric["object"] ?? [:]
            out["object"] = compact([
                "target": source["describedObject"], "metricName": source[path: ["metric", "name"]],
                "targetValue": source[path: ["target", "value"]] ?? "0", "selector": source[path: ["metric", "selector"]],
                "averageValue": source[path: ["target", "averageValue"]],
            ])
        case "Pods":
            let source = metric["pods"] ?? [:]
            out["pods"] = compact([
                "metricName": source[path: ["metric", "name"]],
                "targetAverageValue": source[path: ["target", "averageValue"]] ?? "0",
                "selector": source[path: ["metric", "selector"]],
            ])
        case "Resource", "ContainerResource":
            let key = type == "Resource" ? "resource" : "containerResource"
            let source = metric[key] ?? [:]
            out[key] = compact([
                "name": source["name"], "container": source["container"],
                "targetAverageUtilization": source[path: ["target", "averageUtilization"]],
                "targetAverageValue": source[path: ["target", "averageValue"]],
            ])
        case "External":
            let source = metric["external"] ?? [:]
            out["external"] = compact([
                "metricName": source[path: ["metric", "name"]], "metricSelector": source[path: ["metric", "selector"]],
                "targetValue": source[path: ["target", "value"]], "targetAverageValue": source[path: ["target", "averageValue"]],
            ])
        default:
            break
        }
        return .object(out)
    }

    /// v1's metric format back to v2's MetricSpec (the target type follows from which value is set).
    static func metricSpecToV2(_ metric: JSONValue) -> JSONValue {
        let type = metric["type"]?.stringValue ?? ""
        var out: [String: JSONValue] = ["type": .string(type)]
        switch type {
        case "Object":
            let source = metric["object"] ?? [:]
            let average = source["averageValue"]
            out["object"] = compact([
                "describedObject": source["target"],
                "metric": compact(["name": source["metricName"], "selector": source["selector"]]),
                "target": compact(["type": average == nil ? "Value" : "AverageValue", "value": source["targetValue"],
                                   "averageValue": average]),
            ])
        case "Pods":
            let source = metric["pods"] ?? [:]
            out["pods"] = compact([
                "metric": compact(["name": source["metricName"], "selector": source["selector"]]),
                "target": compact(["type": "AverageValue", "averageValue": source["targetAverageValue"]]),
            ])
        case "Resource", "ContainerResource":
            let key = type == "Resource" ? "resource" : "containerResource"
            let source = metric[key] ?? [:]
            let utilization = source["targetAverageUtilization"]
            out[key] = compact([
                "name": source["name"], "container": source["container"],
                "target": compact(["type": utilization == nil ? "AverageValue" : "Utilization",
                                   "averageUtilization": utilization, "averageValue": source["targetAverageValue"]]),
            ])
        case "External":
            let source = metric["external"] ?? [:]
            let value = source["targetValue"]
            out["external"] = compact([
                "metric": compact(["name": source["metricName"], "selector": source["metricSelector"]]),
                "target": compact(["type": value == nil ? "AverageValue" : "Value", "value": value,
                                   "averageValue": source["targetAverageValue"]]),
            ])
        default:
            break
        }
        return .object(out)
    }

    /// v2's MetricStatus in v1's format.
    static func metricStatusToV1(_ metric: JSONValue) -> JSONValue {
        let type = metric["type"]?.stringValue ?? ""
        var out: [String: JSONValue] = ["type": .string(type)]
        switch type {
        case "Object":
            let source = metric["object"] ?? [:]
            out["object"] = compact([
                "target": source["describedObject"], "metricName": source[path: ["metric", "name"]],
                "currentValue": source[path: ["current", "value"]] ?? "0", "selector": source[path: ["metric", "selector"]],
                "averageValue": source[path: ["current", "averageValue"]],
            ])
        case "Pods":
            let source = metric["pods"] ?? [:]
            out["pods"] = compact([
                "metricName": source[path: ["metric", "name"]],
                "currentAverageValue": source[path: ["current", "averageValue"]] ?? "0",
                "selector": source[path: ["metric", "selector"]],
            ])
        case "Resource", "ContainerResource":
            let key = type == "Resource" ? "resource" : "containerResource"
            let source = metric[key] ?? [:]
            out[key] = compact([
                "name": source["name"], "container": source["container"],
                "currentAverageUtilization": source[path: ["current", "averageUtilization"]],
                "currentAverageValue": source[path: ["current", "averageValue"]] ?? "0",
            ])
        case "External":
            let source = metric["external"] ?? [:]
            out["external"] = compact([
                "metricName": source[path: ["metric", "name"]], "metricSelector": source[path: ["metric", "selector"]],
                "currentValue": source[path: ["current", "value"]] ?? "0",
                "currentAverageValue": source[path: ["current", "averageValue"]],
            ])
        default:
            break
        }
        return .object(out)
    }

    /// v1's metric status format back to v2's MetricStatus.
    static func metricStatusToV2(_ metric: JSONValue) -> JSONValue {
        let type = metric["type"]?.stringValue ?? ""
        var out: [String: JSONValue] = ["type": .string(type)]
        switch type {
        case "Object":
            let source = metric["object"] ?? [:]
            out["object"] = compact([
                "describedObject": source["target"],
                "metric": compact(["name": source["metricName"], "selector": source["selector"]]),
                "current": compact(["value": source["currentValue"], "averageValue": source["averageValue"]]),
            ])
        case "Pods":
            let source = metric["pods"] ?? [:]
            out["pods"] = compact([
                "metric": compact(["name": source["metricName"], "selector": source["selector"]]),
                "current": compact(["averageValue": source["currentAverageValue"]]),
            ])
        case "Resource", "ContainerResource":
            let key = type == "Resource" ? "resource" : "containerResource"
            let source = metric[key] ?? [:]
            out[key] = compact([
                "name": source["name"], "container": source["container"],
                "current": compact(["averageValue": source["currentAverageValue"],
                                    "averageUtilization": source["currentAverageUtilization"]]),
            ])
        case "External":
            let source = metric["external"] ?? [:]
            out["external"] = compact([
                "metric": compact(["name": source["metricName"], "selector": source["metricSelector"]]),
                "current": compact(["value": source["currentValue"], "averageValue": source["currentAverageValue"]]),
            ])
        default:
            break
        }
        return .object(out)
    }

    // MARK: behavior

    /// Upstream writes the behavior annotation from its internal type, whose JSON keys are the Go
    /// field names (`ScaleUp`, `StabilizationWindowSeconds`, …), with null for what is unset.
    static func internalBehavior(_ behavior: JSONValue) -> JSONValue {
        func rules(_ value: JSONValue?) -> JSONValue {
            guard let value, value.objectValue != nil else { return .null }
            let policies = (value["policies"]?.arrayValue ?? []).map { policy -> JSONValue in
                ["Type": policy["type"] ?? .null, "Value": policy["value"] ?? .null, "PeriodSeconds": policy["periodSeconds"] ?? .null]
            }
            var out: [String: JSONValue] = [
                "StabilizationWindowSeconds": value["stabilizationWindowSeconds"] ?? .null,
                "SelectPolicy": value["selectPolicy"] ?? .null,
                "Policies": value["policies"] == nil ? .null : .array(policies),
            ]
            if let tolerance = value["tolerance"] { out["Tolerance"] = tolerance }
            return .object(out)
        }
        return ["ScaleUp": rules(behavior["scaleUp"]), "ScaleDown": rules(behavior["scaleDown"])]
    }

    /// The behavior annotation back to v2's `behavior`; keys are matched without regard to case,
    /// as Go's decoder does, so both the internal and the v2 spelling are read.
    static func externalBehavior(_ annotation: JSONValue) -> JSONValue {
        func field(_ value: JSONValue?, _ name: String) -> JSONValue? {
            guard let object = value?.objectValue else { return nil }
            let match = object.first { $0.key.lowercased() == name.lowercased() }?.value
            return match?.isNull == true ? nil : match
        }
        func rules(_ value: JSONValue?) -> JSONValue? {
            guard let value, value.objectValue != nil else { return nil }
            let policies = field(value, "policies")?.arrayValue.map { list in
                JSONValue.array(list.map { policy in
                    compact(["type": field(policy, "type"), "value": field(policy, "value"),
                             "periodSeconds": field(policy, "periodSeconds")])
                })
            }
            return compact(["stabilizationWindowSeconds": field(value, "stabilizationWindowSeconds"),
                            "selectPolicy": field(value, "selectPolicy"), "policies": policies,
                            "tolerance": field(value, "tolerance")])
        }
        return compact(["scaleUp": rules(field(annotation, "scaleUp")), "scaleDown": rules(field(annotation, "scaleDown"))])
    }

    // MARK: helpers

    private static func withoutRoundTrip(_ annotations: [String: JSONValue]) -> [String: JSONValue] {
        annotations.filter { !roundTripAnnotations.contains($0.key) }
    }

    private static func setAnnotations(_ fields: inout [String: JSONValue], _ annotations: [String: JSONValue]) {
        guard var meta = fields["metadata"]?.objectValue else {
            if !annotations.isEmpty { fields["metadata"] = ["annotations": .object(annotations)] }
            return
        }
        meta["annotations"] = annotations.isEmpty ? nil : .object(annotations)
        fields["metadata"] = .object(meta)
    }

    /// An object of the entries that are set (nil and null left out).
    private static func compact(_ entries: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (key, value) in entries {
            if let value, !value.isNull { out[key] = value }
        }
        return .object(out)
    }
}

private extension JSONValue {
    /// Compact JSON text, as an annotation holds it.
    var serializedText: String { String(decoding: serialized(), as: UTF8.self) }
}
