/// Data a plugin computes once per scheduling cycle (in PreFilter or PreScore) and reads back
/// for every node, so per-node calls stay cheap.
///
/// A value type: PreFilter/PreScore receive it `inout`, Filter/Score read it, so no plugin can
/// change it while nodes are evaluated concurrently. Copying it is how preemption clones the
/// state before simulating evictions on a node.
public struct CycleState: Sendable {
    private var storage: [String: any Sendable] = [:]
    /// The snapshot the cycle runs against, set by ``Framework`` before PreFilter: plugins that
    /// count over the whole cluster (inter-pod affinity, topology spread, preemption) need every
    /// node, not only the ones handed to them.
    public var snapshot: Snapshot?

    public init(snapshot: Snapshot? = nil) {
        self.snapshot = snapshot
    }

    public func read<T: Sendable>(_ key: String, as type: T.Type = T.self) -> T? {
        storage[key] as? T
    }

    public mutating func write(_ key: String, _ value: any Sendable) {
        storage[key] = value
    }
}
