import KyvernAPI

/// Upstream's defaults for the remaining kinds: namespaces, nodes, limit ranges, resource quotas,
/// priority classes and horizontal pod autoscalers.
enum ClusterDefaults {
    /// Every named namespace carries its name as a label, restored on every write.
    static func namespace(_ object: inout JSONValue) {
        if let name = object[path: ["metadata", "name"]]?.stringValue, !name.isEmpty {
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(name)
        }
        object.modify("status") { $0.defaultString("phase", "Active") }
    }

    /// A node that reports no allocatable resources can allocate its whole capacity.
    static func node(_ object: inout JSONValue) {
        object.modify("status") { status in
            if status.isUnset("allocatable"), let capacity = status["capacity"], !capacity.isNull {
                status["allocatable"] = capacity
            }
            status.roundResourceList("capacity")
            status.roundResourceList("allocatable")
        }
    }

    /// A container limit range item fills its default limit from the maximum, its default request
    /// from the default limit, then from the minimum.
    static func limitRange(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.modifyEach("limits") { item in
                defer {
                    for list in ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] {
                        item.roundResourceList(list)
                    }
                }
                guard item["type"] == "Container" else { return }
                var limits = item["default"]?.objectValue ?? [:]
                var requests = item["defaultRequest"]?.objectValue ?? [:]
                for (resource, quantity) in item["max"]?.objectValue ?? [:] where limits[resource] == nil {
                    limits[resource] = quantity
                }
                for (resource, quantity) in limits where requests[resource] == nil {
                    requests[resource] = quantity
                }
                for (resource, quantity) in item["min"]?.objectValue ?? [:] where requests[resource] == nil {
                    requests[resource] = quantity
                }
                if !limits.isEmpty { item["default"] = .object(limits) }
                if !requests.isEmpty { item["defaultRequest"] = .object(requests) }
            }
        }
    }

    /// A quota's hard limits and usage are resource lists.
    static func resourceQuota(_ object: inout JSONValue) {
        object.modify("spec") { $0.roundResourceList("hard") }
        object.modify("status") { status in
            status.roundResourceList("hard")
            status.roundResourceList("used")
        }
    }

    static func priorityClass(_ object: inout JSONValue) {
        object.defaultValue("preemptionPolicy", "PreemptLowerPriority")
    }

    /// At least one replica; scale on 80% CPU when no metric is given; a given `behavior` is
    /// completed with the default scaling rules.
    static func horizontalPodAutoscaler(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultValue("minReplicas", 1)
            if spec.isEmpty("metrics") {
                spec["metrics"] = [[
                    "type": "Resource",
                    "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]],
                ]]
            }
            guard let behavior = spec["behavior"], !behavior.isNull else { return }
            var completed = behavior.objectValue ?? [:]
            completed["scaleUp"] = scalingRules(behavior["scaleUp"], defaults: [
                "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                "policies": [["type": "Pods", "value": 4, "periodSeconds": 15],
                             ["type": "Percent", "value": 100, "periodSeconds": 15]],
            ])
            completed["scaleDown"] = scalingRules(behavior["scaleDown"], defaults: [
                "selectPolicy": "Max",
                "policies": [["type": "Percent", "value": 100, "periodSeconds": 15]],
            ])
            spec["behavior"] = .object(completed)
        }
    }

    /// The user's rules over the defaults, field by field.
    private static func scalingRules(_ given: JSONValue?, defaults: [String: JSONValue]) -> JSONValue {
        var rules = defaults
        for (key, value) in given?.objectValue ?? [:] where value != .null {
            rules[key] = value
        }
        return .object(rules)
    }
}
