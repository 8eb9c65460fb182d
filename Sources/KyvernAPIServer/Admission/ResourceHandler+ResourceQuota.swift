import KyvernAPI

/// Upstream's ResourceQuota admission: a new object whose usage would take a namespace past any
/// of its quotas' hard limits is refused (403 `exceeded quota`), and a pod that leaves a tracked
/// compute resource unset is refused (`failed quota`). Usage is counted from the watch cache at
/// admission time, so a refusal does not wait for the quota controller to update `status.used`.
extension ResourceHandler {
    static let quotaBucket = StorageKeys.resourcePrefix(group: "", resource: "resourcequotas")

    func admitQuota(_ object: JSONValue, info: ResourceInfo, namespace: String) async throws {
        guard info.namespaced, !namespace.isEmpty else { return }
        let quotas = await cache.list(bucket: Self.quotaBucket, keyPrefix: "\(Self.quotaBucket)\(namespace)/").items.map(\.object)
        guard !quotas.isEmpty else { return }
        let requested = QuotaUsage.usage(of: object, group: info.group, resource: info.resource)
        guard !requested.isEmpty else { return }
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        var existing: [[String: Quantity]]?
        for quota in quotas.sorted(by: { ($0.name ?? "") < ($1.name ?? "") }) {
            let hard = Self.quantities(quota[path: ["spec", "hard"]])
            let tracked = Set(hard.keys).intersection(requested.keys)
            if info.group.isEmpty, info.resource == "pods" {
                let missing = QuotaUsage.missingComputeResources(object, tracked: Set(hard.keys))
                if !missing.isEmpty {
                    let text = missing.map { "\($0.0) for: \($0.1.joined(separator: ","))" }.joined(separator: "; ")
                    throw ForbiddenError.forbidden(group: info.group, resource: info.resource, name: name,
                                                   "failed quota: \(quota.name ?? ""): must specify \(text)")
                }
            }
            guard !tracked.isEmpty else { continue }
            if existing == nil {
                let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
                existing = await cache.list(bucket: bucket, keyPrefix: "\(bucket)\(namespace)/").items
                    .map { QuotaUsage.usage(of: $0.object, group: info.group, resource: info.resource) }
            }
            let used = QuotaUsage.total(existing ?? [], tracked: tracked)
            let exceeded = tracked.sorted().filter { key in
                guard let limit = hard[key], let wanted = requested[key] else { return false }
                return (used[key] ?? Quantity(0)) + wanted > limit
            }
            guard !exceeded.isEmpty else { continue }
            func list(_ values: [String: Quantity]) -> String {
                exceeded.map { "\($0)=\(values[$0] ?? Quantity(0))" }.joined(separator: ",")
            }
            throw ForbiddenError.forbidden(
                group: info.group, resource: info.resource, name: name,
                "exceeded quota: \(quota.name ?? ""), requested: \(list(requested)), used: \(list(used)), limited: \(list(hard))")
        }
    }

    static func quantities(_ list: JSONValue?) -> [String: Quantity] {
        var result: [String: Quantity] = [:]
        for (key, value) in list?.objectValue ?? [:] {
            if let text = value.stringValue ?? value.intValue.map(String.init), let quantity = try? Quantity(parsing: text) {
                result[key] = quantity
            }
        }
        return result
    }
}
