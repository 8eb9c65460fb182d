import KyvernAPI

/// The keys of the pods bound to each node (`spec.nodeName`), kept up to date by the watch cache
/// as pods change, so a node's pods are found without scanning every pod in the cluster (the Node
/// authorizer asks on each request a node makes).
struct PodsByNode: Sendable {
    static let bucket = StorageKeys.resourcePrefix(group: "", resource: "pods")

    private var byNode: [String: Set<String>] = [:]

    /// Moves `key` from the node `old` named to the node `new` names (nil: unbound or gone).
    mutating func update(key: String, old: CachedObject?, new: CachedObject?) {
        let before = Self.nodeName(of: old)
        let after = Self.nodeName(of: new)
        guard before != after else { return }
        if let before {
            byNode[before]?.remove(key)
            if byNode[before]?.isEmpty == true { byNode[before] = nil }
        }
        if let after { byNode[after, default: []].insert(key) }
    }

    func keys(onNode node: String) -> Set<String> { byNode[node] ?? [] }

    private static func nodeName(of pod: CachedObject?) -> String? {
        guard let name = pod?.object[path: ["spec", "nodeName"]]?.stringValue, !name.isEmpty else { return nil }
        return name
    }
}
