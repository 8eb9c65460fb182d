import Foundation
import KyvernAPI

/// Upstream's LimitRanger admission for containers: a LimitRange's `defaultRequest` and `default`
/// fill what a new pod's containers leave unset (noted in the `kubernetes.io/limit-ranger`
/// annotation), then `min`, `max` and `maxLimitRequestRatio` are enforced (403).
extension ResourceHandler {
    static let limitRangeBucket = StorageKeys.resourcePrefix(group: "", resource: "limitranges")

    func admitLimitRanges(_ pod: inout JSONValue, info: ResourceInfo, namespace: String) async throws {
        guard info.group.isEmpty, info.resource == "pods", !namespace.isEmpty else { return }
        let ranges = await cache.list(bucket: Self.limitRangeBucket, keyPrefix: "\(Self.limitRangeBucket)\(namespace)/")
            .items.map(\.object)
        guard !ranges.isEmpty else { return }
        var notes: [String] = []
        var violations: [String] = []
        for range in ranges {
            for item in range[path: ["spec", "limits"]]?.arrayValue ?? [] where item["type"]?.stringValue == "Container" {
                for field in ["initContainers", "containers"] {
                    guard var containers = pod[path: ["spec", field]]?.arrayValue else { continue }
                    for index in containers.indices {
                        notes += Self.applyDefaults(item, to: &containers[index])
                        violations += Self.violations(item, container: containers[index])
                    }
                    pod[path: ["spec", field]] = .array(containers)
                }
            }
        }
        if !notes.isEmpty {
            pod[path: ["metadata", "annotations", "kubernetes.io/limit-ranger"]] = .string("LimitRanger plugin set: " + notes.joined(separator: "; "))
        }
        guard !violations.isEmpty else { return }
        let text = violations.count == 1 ? violations[0] : "[" + violations.joined(separator: ", ") + "]"
        throw ForbiddenError.forbidden(group: "", resource: "pods", name: pod[path: ["metadata", "name"]]?.stringValue ?? "", text)
    }

    /// Fills unset requests and limits; returns upstream's notes ("cpu, memory request for container app").
    static func applyDefaults(_ item: JSONValue, to container: inout JSONValue) -> [String] {
        let name = container["name"]?.stringValue ?? ""
        var notes: [String] = []
        let limits = item["default"]?.objectValue ?? [:]
        let requests = item["defaultRequest"]?.objectValue ?? [:]
        var setRequests: [String] = []
        var setLimits: [String] = []
        for (resource, value) in requests.sorted(by: { $0.key < $1.key }) where container[path: ["resources", "requests", resource]] == nil {
            // A set limit without a request makes the request equal to the limit (API defaulting did it already).
            container[path: ["resources", "requests", resource]] = value
            setRequests.append(resource)
        }
        for (resource, value) in limits.sorted(by: { $0.key < $1.key }) where container[path: ["resources", "limits", resource]] == nil {
            container[path: ["resources", "limits", resource]] = value
            setLimits.append(resource)
            if container[path: ["resources", "requests", resource]] == nil {
                container[path: ["resources", "requests", resource]] = value
                if !setRequests.contains(resource) { setRequests.append(resource) }
            }
        }
        if !setRequests.isEmpty { notes.append("\(setRequests.sorted().joined(separator: ", ")) request for container \(name)") }
        if !setLimits.isEmpty { notes.append("\(setLimits.sorted().joined(separator: ", ")) limit for container \(name)") }
        return notes
    }

    /// Upstream's texts: "minimum cpu usage per Container is 100m, but request is 50m." and friends.
    static func violations(_ item: JSONValue, container: JSONValue) -> [String] {
        var result: [String] = []
        let requests = quantities(container[path: ["resources", "requests"]])
        let limits = quantities(container[path: ["resources", "limits"]])
        for (resource, minimum) in quantities(item["min"]).sorted(by: { $0.key < $1.key }) {
            if let request = requests[resource], request < minimum {
                result.append("minimum \(resource) usage per Container is \(minimum), but request is \(request)")
            } else if requests[resource] == nil {
                result.append("minimum \(resource) usage per Container is \(minimum).  No request is specified")
            }
        }
        for (resource, maximum) in quantities(item["max"]).sorted(by: { $0.key < $1.key }) {
            if let limit = limits[resource], limit > maximum {
                result.append("maximum \(resource) usage per Container is \(maximum), but limit is \(limit)")
            } else if limits[resource] == nil {
                result.append("maximum \(resource) usage per Container is \(maximum).  No limit is specified")
            }
        }
        for (resource, ratio) in quantities(item["maxLimitRequestRatio"]).sorted(by: { $0.key < $1.key }) {
            guard let limit = limits[resource], let request = requests[resource], request.milliValue > 0 else { continue }
            let actual = Double(limit.milliValue) / Double(request.milliValue)
            if actual > Double(ratio.milliValue) / 1000 {
                result.append("\(resource) max limit to request ratio per Container is \(ratio), but provided ratio is \(String(format: "%.6f", actual))")
            }
        }
        return result
    }
}
