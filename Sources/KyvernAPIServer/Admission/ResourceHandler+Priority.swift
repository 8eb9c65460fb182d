import KyvernAPI

/// Upstream's Priority admission: a pod's `priorityClassName` must name a PriorityClass, whose
/// value and preemption policy the pod gets; without a name, the global default class (if one
/// exists) is used; a priority the client set itself must agree with the class.
extension ResourceHandler {
    static let priorityClassBucket = StorageKeys.resourcePrefix(group: "scheduling.k8s.io", resource: "priorityclasses")

    /// - Parameter requested: `spec.priority` as the client sent it (before defaulting).
    func admitPriority(_ pod: inout JSONValue, requested: JSONValue?, info: ResourceInfo) async throws {
        guard info.group.isEmpty, info.resource == "pods" else { return }
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        var className = pod[path: ["spec", "priorityClassName"]]?.stringValue ?? ""
        var value: Int64 = 0
        var policy = "PreemptLowerPriority"
        if className.isEmpty {
            let classes = await cache.list(bucket: Self.priorityClassBucket, keyPrefix: Self.priorityClassBucket).items.map(\.object)
            let defaults = classes.filter { $0["globalDefault"]?.boolValue == true }
            if let chosen = defaults.min(by: { ($0["value"]?.intValue ?? 0) < ($1["value"]?.intValue ?? 0) }) {
                className = chosen.name ?? ""
                value = chosen["value"]?.intValue ?? 0
                policy = chosen["preemptionPolicy"]?.stringValue ?? policy
                pod[path: ["spec", "priorityClassName"]] = .string(className)
            }
        } else if let system = PodAdmissionDefaults.systemPriorities[className] {
            value = system
        } else {
            guard let found = await cache.get(key: Self.priorityClassBucket + className)?.object else {
                throw ForbiddenError.forbidden(group: "", resource: "pods", name: name,
                                               "no PriorityClass with name \(className) was found")
            }
            value = found["value"]?.intValue ?? 0
            policy = found["preemptionPolicy"]?.stringValue ?? policy
        }
        if let given = requested?.intValue, given != value {
            throw ForbiddenError.forbidden(group: "", resource: "pods", name: name,
                                           "the integer value of priority (\(given)) must not be provided in pod spec; "
                                               + "priority admission controller computed \(value) from the given PriorityClass name")
        }
        pod[path: ["spec", "priority"]] = .int(value)
        if pod[path: ["spec", "preemptionPolicy"]] == nil || requested == nil {
            pod[path: ["spec", "preemptionPolicy"]] = .string(policy)
        }
    }
}
