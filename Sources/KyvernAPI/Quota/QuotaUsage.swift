/// What an object counts against a ResourceQuota, as upstream's quota evaluators count it: object
/// counts (`pods`, `count/deployments.apps`), a pod's compute requests and limits
/// (`requests.cpu` or plain `cpu`, `limits.memory`, extended resources), a claim's storage, a
/// Service's node ports and load balancers. Shared by quota admission and the quota controller.
public enum QuotaUsage {
    /// The object-count names of the resources upstream counts by a short name.
    static let shortCounts: [String: String] = [
        "pods": "pods", "services": "services", "configmaps": "configmaps", "secrets": "secrets",
        "persistentvolumeclaims": "persistentvolumeclaims", "replicationcontrollers": "replicationcontrollers",
        "resourcequotas": "resourcequotas",
    ]

    /// The usage of one object of `resource` in `group`, for every name a quota may track.
    public static func usage(of object: JSONValue, group: String, resource: String) -> [String: Quantity] {
        var usage: [String: Quantity] = [:]
        let countName = group.isEmpty ? "count/\(resource)" : "count/\(resource).\(group)"
        usage[countName] = Quantity(1)
        guard group.isEmpty else { return usage }
        if let short = shortCounts[resource] { usage[short] = Quantity(1) }
        switch resource {
        case "pods":
            guard !isTerminal(object) else { return [:] }
            for (name, value) in podResources(object, kind: "requests") {
                usage["requests.\(name)"] = value
                if name == "cpu" || name == "memory" || name == "ephemeral-storage" { usage[name] = value }
            }
            for (name, value) in podResources(object, kind: "limits") {
                usage["limits.\(name)"] = value
            }
        case "services":
            let type = object[path: ["spec", "type"]]?.stringValue ?? "ClusterIP"
            let ports = Int64(object[path: ["spec", "ports"]]?.arrayValue?.count ?? 0)
            if type == "NodePort" || type == "LoadBalancer" { usage["services.nodeports"] = Quantity(ports) }
            if type == "LoadBalancer" { usage["services.loadbalancers"] = Quantity(1) }
        case "persistentvolumeclaims":
            if let text = object[path: ["spec", "resources", "requests", "storage"]]?.stringValue,
               let storage = try? Quantity(parsing: text) {
                usage["requests.storage"] = storage
                if let storageClass = object[path: ["spec", "storageClassName"]]?.stringValue, !storageClass.isEmpty {
                    usage["\(storageClass).storageclass.storage.k8s.io/requests.storage"] = storage
                    usage["\(storageClass).storageclass.storage.k8s.io/persistentvolumeclaims"] = Quantity(1)
                }
            }
        default:
            break
        }
        return usage
    }

    /// A pod that has finished counts for nothing.
    public static func isTerminal(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// A pod's requests or limits per resource: containers add up, init containers count at their
    /// peak (restartable ones keep running and add to later steps), overhead comes on top.
    public static func podResources(_ pod: JSONValue, kind: String) -> [String: Quantity] {
        func own(_ container: JSONValue) -> [String: Quantity] {
            var result: [String: Quantity] = [:]
            for (name, value) in container[path: ["resources", kind]]?.objectValue ?? [:] {
                if let text = value.stringValue ?? value.intValue.map(String.init), let quantity = try? Quantity(parsing: text) {
                    result[name] = quantity
                }
            }
            return result
        }
        func add(_ a: [String: Quantity], _ b: [String: Quantity]) -> [String: Quantity] {
            a.merging(b, uniquingKeysWith: +)
        }
        func peak(_ a: [String: Quantity], _ b: [String: Quantity]) -> [String: Quantity] {
            a.merging(b) { max($0, $1) }
        }
        var total: [String: Quantity] = [:]
        for container in pod[path: ["spec", "containers"]]?.arrayValue ?? [] { total = add(total, own(container)) }
        var sidecars: [String: Quantity] = [:]
        var initPeak: [String: Quantity] = [:]
        for container in pod[path: ["spec", "initContainers"]]?.arrayValue ?? [] {
            if container["restartPolicy"]?.stringValue == "Always" {
                sidecars = add(sidecars, own(container))
                initPeak = peak(initPeak, sidecars)
            } else {
                initPeak = peak(initPeak, add(own(container), sidecars))
            }
        }
        total = peak(add(total, sidecars), initPeak)
        if kind == "requests" || kind == "limits" {
            var overhead: [String: Quantity] = [:]
            for (name, value) in pod[path: ["spec", "overhead"]]?.objectValue ?? [:] {
                if let text = value.stringValue, let quantity = try? Quantity(parsing: text) { overhead[name] = quantity }
            }
            if !overhead.isEmpty, !total.isEmpty { total = add(total, overhead) }
        }
        return total
    }

    /// The compute names a quota tracks that a pod's containers leave unset (upstream refuses such
    /// a pod: "must specify limits.cpu for: app"), as (name, containers without it).
    public static func missingComputeResources(_ pod: JSONValue, tracked: Set<String>) -> [(String, [String])] {
        var missing: [(String, [String])] = []
        let containers = (pod[path: ["spec", "containers"]]?.arrayValue ?? [])
            + (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
        for name in tracked.sorted() {
            let (kind, resource): (String, String)
            if name.hasPrefix("requests.") {
                (kind, resource) = ("requests", String(name.dropFirst("requests.".count)))
            } else if name.hasPrefix("limits.") {
                (kind, resource) = ("limits", String(name.dropFirst("limits.".count)))
            } else if name == "cpu" || name == "memory" {
                (kind, resource) = ("requests", name)
            } else {
                continue
            }
            guard resource == "cpu" || resource == "memory" else { continue }
            let lacking = containers.filter { $0[path: ["resources", kind, resource]] == nil }
                .compactMap { $0["name"]?.stringValue }
            if !lacking.isEmpty { missing.append((name, lacking)) }
        }
        return missing
    }

    /// Usage summed over objects, for the names in `tracked`.
    public static func total(_ usages: [[String: Quantity]], tracked: Set<String>) -> [String: Quantity] {
        var total: [String: Quantity] = [:]
        for name in tracked { total[name] = Quantity(0) }
        for usage in usages {
            for (name, value) in usage where tracked.contains(name) { total[name] = (total[name] ?? Quantity(0)) + value }
        }
        return total
    }
}
