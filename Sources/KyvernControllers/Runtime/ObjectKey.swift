public import KyvernAPI

/// The work item of every controller: which object to reconcile, by namespace and name only.
///
/// Queues carry keys rather than objects so a reconcile always reads the latest cached state
/// (level-triggered): ten events for one object collapse into one sync.
public struct ObjectKey: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// nil for cluster-scoped objects.
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The key of `object`.
    public init(_ object: JSONValue) {
        self.init(namespace: object.namespace, name: object.name ?? "")
    }

    /// `namespace/name`, or `name` for cluster-scoped objects, as upstream logs keys.
    public var description: String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool { a.description < b.description }
}
