/// One reading of the metrics API: CPU in nanocores (a rate) and memory in bytes (working set).
public struct MetricsSample: Sendable, Hashable {
    /// Milliseconds since the Unix epoch.
    public var time: Int64
    public var cpuNanocores: Int64
    public var memoryBytes: Int64

    public init(time: Int64, cpuNanocores: Int64, memoryBytes: Int64) {
        self.time = time
        self.cpuNanocores = cpuNanocores
        self.memoryBytes = memoryBytes
    }
}

/// The last `capacity` samples of one pod or node, oldest overwritten first, so a chart's memory
/// is fixed however long the server runs.
struct MetricsRing: Sendable {
    let capacity: Int
    private var storage: [MetricsSample] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage.reserveCapacity(self.capacity)
    }

    mutating func append(_ sample: MetricsSample) {
        if storage.count < capacity {
            storage.append(sample)
        } else {
            storage[next] = sample
        }
        next = (next + 1) % capacity
    }

    /// Oldest first.
    var samples: [MetricsSample] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }

    var latest: MetricsSample? {
        storage.isEmpty ? nil : storage[(next + capacity - 1) % capacity]
    }
}
