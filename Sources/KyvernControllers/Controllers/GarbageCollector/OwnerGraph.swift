import KyvernAPI

/// The ownership graph: every object the informers saw, by uid, with the uids of its owners and
/// dependents. Owners that were never seen are absent; the collector checks them with a live GET.
struct OwnerGraph: Sendable {
    struct Node: Sendable, Equatable {
        var uid: String
        var resource: GCResource
        var namespace: String?
        var name: String
        var owners: [OwnerReference]
        var finalizers: [String]
        var deleting: Bool

        var waitsForDependents: Bool { deleting && finalizers.contains(GarbageCollector.foregroundFinalizer) }
        var orphaning: Bool { deleting && finalizers.contains(GarbageCollector.orphanFinalizer) }
    }

    private(set) var nodes: [String: Node] = [:]
    private var dependentsByOwner: [String: Set<String>] = [:]

    subscript(uid: String) -> Node? { nodes[uid] }

    /// Dependents (objects naming `uid` as owner) currently in the graph.
    func dependents(of uid: String) -> [Node] {
        (dependentsByOwner[uid] ?? []).compactMap { nodes[$0] }.sorted { $0.uid < $1.uid }
    }

    /// Adds or replaces an object; returns the previous node.
    @discardableResult
    mutating func upsert(_ object: JSONValue, resource: GCResource) -> Node? {
        guard let uid = object[path: ["metadata", "uid"]]?.stringValue,
              let name = object[path: ["metadata", "name"]]?.stringValue else { return nil }
        let node = Node(uid: uid, resource: resource,
                        namespace: object[path: ["metadata", "namespace"]]?.stringValue, name: name,
                        owners: OwnerReference.all(of: object),
                        finalizers: (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue),
                        deleting: object[path: ["metadata", "deletionTimestamp"]] != nil)
        let old = remove(uid: uid)
        nodes[uid] = node
        for owner in node.owners { dependentsByOwner[owner.uid, default: []].insert(uid) }
        return old
    }

    /// Removes an object; returns it.
    @discardableResult
    mutating func remove(uid: String) -> Node? {
        guard let old = nodes.removeValue(forKey: uid) else { return nil }
        for owner in old.owners {
            dependentsByOwner[owner.uid]?.remove(uid)
            if dependentsByOwner[owner.uid]?.isEmpty == true { dependentsByOwner[owner.uid] = nil }
        }
        return old
    }
}
