import KyvernAPI

/// A pod's quality-of-service class (`status.qosClass`), computed as upstream's `ComputePodQOS`.
///
/// Only cpu and memory count, and only quantities above zero. A pod is Guaranteed when every
/// container limits both and the summed requests equal the summed limits; requests default to the
/// limits when absent, so the class is the same before and after defaulting.
enum PodQOS {
    static let computeResources: Set<String> = ["cpu", "memory"]

    static func classify(_ pod: JSONValue) -> String {
        let containers = (pod[path: ["spec", "containers"]]?.arrayValue ?? [])
            + (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
        var requests: [String: Quantity] = [:]
        var limits: [String: Quantity] = [:]
        var guaranteed = true
        for container in containers {
            let declaredLimits = positive(container[path: ["resources", "limits"]])
            var declaredRequests = positive(container[path: ["resources", "requests"]])
            for (name, limit) in declaredLimits where container[path: ["resources", "requests", name]] == nil {
                declaredRequests[name] = limit
            }
            for (name, q) in declaredRequests { requests[name] = requests[name].map { $0 + q } ?? q }
            for (name, q) in declaredLimits { limits[name] = limits[name].map { $0 + q } ?? q }
            if !computeResources.isSubset(of: declaredLimits.keys) { guaranteed = false }
        }
        if requests.isEmpty && limits.isEmpty { return "BestEffort" }
        if guaranteed {
            for (name, request) in requests where limits[name] != request {
                guaranteed = false
            }
        }
        return guaranteed && requests.count == limits.count ? "Guaranteed" : "Burstable"
    }

    /// The cpu and memory quantities above zero in a resource list.
    private static func positive(_ list: JSONValue?) -> [String: Quantity] {
        var result: [String: Quantity] = [:]
        for (name, value) in list?.objectValue ?? [:] where computeResources.contains(name) {
            guard let text = value.stringValue ?? value.intValue.map({ String($0) }),
                  let quantity = try? Quantity(parsing: text), quantity.sign > 0 else { continue }
            result[name] = quantity
        }
        return result
    }
}
