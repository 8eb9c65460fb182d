import Foundation

/// Upstream's `flowcontrol.Backoff` for container restarts and image pulls: 10 s doubling to
/// 5 minutes per key; an entry untouched for longer than the reset period starts over at 10 s.
struct RestartBackoff: Sendable {
    struct Entry: Sendable, Hashable {
        var delay: TimeInterval
        var lastUpdate: Date
    }

    var initial: TimeInterval = 10
    var maximum: TimeInterval = 300
    /// A container that ran this long (or a key not backed off for this long) starts again at `initial`.
    var resetAfter: TimeInterval = 600
    private(set) var entries: [String: Entry] = [:]

    /// The current delay of `key`, 0 if none.
    func delay(_ key: String) -> TimeInterval { entries[key]?.delay ?? 0 }

    /// Whether a restart of `key` must still wait: `since` (the container's finish, the failed
    /// pull) is less than the current delay ago.
    func isInBackoff(_ key: String, since: Date, now: Date) -> Bool {
        guard let entry = entries[key] else { return false }
        return now.timeIntervalSince(since) < entry.delay
    }

    /// Records a restart (or pull) of `key` now: the first starts at `initial`, later ones double.
    mutating func next(_ key: String, now: Date) {
        if var entry = entries[key], now.timeIntervalSince(entry.lastUpdate) <= resetAfter {
            entry.delay = min(entry.delay * 2, maximum)
            entry.lastUpdate = now
            entries[key] = entry
        } else {
            entries[key] = Entry(delay: initial, lastUpdate: now)
        }
    }

    mutating func reset(_ key: String) { entries[key] = nil }

    /// Go's `time.Duration` spelling of whole seconds: `10s`, `1m20s`, `5m0s`.
    static func goDuration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        return "\(total / 3600)h\(total % 3600 / 60)m\(total % 60)s"
    }
}
