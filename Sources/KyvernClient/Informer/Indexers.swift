public import KyvernAPI

/// Maps an object to the index values it is found under (none, one, or several).
public typealias Indexer = @Sendable (JSONValue) -> [String]

/// The indexers components need to avoid scanning a cache of thousands of objects.
public enum Indexers {
    /// By `metadata.namespace` (cluster-scoped objects are not indexed).
    public static let namespace: Indexer = { object in
        object.namespace.map { [$0] } ?? []
    }

    /// By `spec.nodeName`: a node's pods, for the scheduler and the node agent. Unbound pods are
    /// not indexed.
    public static let nodeName: Indexer = { object in
        guard let node = object[path: ["spec", "nodeName"]]?.stringValue, !node.isEmpty else { return [] }
        return [node]
    }

    /// By every `metadata.ownerReferences[].uid`: an owner's dependents, for controllers and the
    /// garbage collector.
    public static let ownerUID: Indexer = { object in
        object.ownerReferences.compactMap { $0["uid"]?.stringValue }
    }

    /// Conventional index names for the built-in indexers, for ``Lister/byIndex(_:_:)``.
    public static let namespaceName = "namespace"
    public static let nodeNameName = "nodeName"
    public static let ownerUIDName = "ownerUID"
}
