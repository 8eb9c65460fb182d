/// Data a plugin computes once per scheduling cycle (in PreFilter or PreScore) and reads back
/// for every node, so per-node calls stay cheap.
///
/// A value type: PreFilter/PreScore receive it `inout`, Filter/Score read it, so no plugin can
/// change it while nodes are evaluated concurrently.
public struct CycleState: Sendable {
    private var storage: [String: any Sendable] = [:]

    public init() {}

    public func read<T: Sendable>(_ key: String, as type: T.Type = T.self) -> T? {
        storage[key] as? T
    }

    public mutating func write(_ key: String, _ value: any Sendable) {
        storage[key] = value
    }
}
