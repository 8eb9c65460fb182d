import Foundation

/// Per DaemonSet generation and node, how long to wait before deleting another failed daemon pod
/// (upstream's `failedPodsBackoff`: 1 s doubling to 15 min). A node whose agent keeps rejecting the
/// pod would otherwise see create-fail-delete in a hot loop.
actor FailedPodBackoff {
    private struct Entry { var delay: TimeInterval; var lastUpdate: Date }
    private var entries: [String: Entry] = [:]
    let initial: TimeInterval
    let maximum: TimeInterval

    init(initial: TimeInterval = 1, maximum: TimeInterval = 900) {
        self.initial = initial
        self.maximum = maximum
    }

    static func key(dsUID: String, generation: Int64, node: String) -> String { "\(dsUID)/\(generation)/\(node)" }

    /// The remaining wait when `key` is still backing off at `now`, nil when a deletion may go ahead.
    func remaining(_ key: String, now: Date) -> TimeInterval? {
        guard let entry = entries[key] else { return nil }
        let left = entry.delay - now.timeIntervalSince(entry.lastUpdate)
        return left > 0 ? entry.delay : nil
    }

    /// Records a deletion at `now`: the next one waits twice as long, unless the last is long past.
    func next(_ key: String, now: Date) {
        if let entry = entries[key], now.timeIntervalSince(entry.lastUpdate) <= 2 * maximum {
            entries[key] = Entry(delay: min(entry.delay * 2, maximum), lastUpdate: now)
        } else {
            entries[key] = Entry(delay: initial, lastUpdate: now)
        }
    }
}
