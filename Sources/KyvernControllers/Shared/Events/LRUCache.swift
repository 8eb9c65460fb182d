/// A dictionary that forgets its least recently used entries beyond `capacity`, as the LRU caches
/// upstream's event correlator keeps (4,096 entries each) so a long-running component's memory
/// stays bounded however many objects it reports on.
struct LRUCache<Value: Sendable>: Sendable {
    let capacity: Int
    private var entries: [String: (value: Value, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    /// The value under `key`, marking it as used.
    mutating func get(_ key: String) -> Value? {
        guard let entry = entries[key] else { return nil }
        clock += 1
        entries[key] = (entry.value, clock)
        return entry.value
    }

    mutating func set(_ key: String, _ value: Value) {
        clock += 1
        entries[key] = (value, clock)
        if entries.count > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
        }
    }
}
