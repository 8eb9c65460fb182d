import Foundation
import KyvernAPI

/// Upstream's per-object event budget: a source may burst `burst` events about one object, then
/// one more per `refillInterval` (25, and one every 5 minutes, by default), so an object that is
/// always failing cannot flood the server with events.
struct EventSpamFilter: Sendable {
    /// A token bucket that starts full and refills continuously.
    struct TokenBucket: Sendable, Equatable {
        var tokens: Double
        var last: Date

        mutating func tryTake(burst: Int, refillInterval: TimeInterval, now: Date) -> Bool {
            let elapsed = max(0, now.timeIntervalSince(last))
            tokens = min(Double(burst), tokens + elapsed / refillInterval)
            last = now
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    let burst: Int
    let refillInterval: TimeInterval
    private var buckets: LRUCache<TokenBucket>

    init(burst: Int, refillInterval: TimeInterval, cacheSize: Int) {
        self.burst = burst
        self.refillInterval = refillInterval
        self.buckets = LRUCache(capacity: cacheSize)
    }

    /// Whether `event` must be dropped: its object's budget is spent.
    mutating func filters(_ event: JSONValue, now: Date) -> Bool {
        let key = EventKeys.spam(event)
        var bucket = buckets.get(key) ?? TokenBucket(tokens: Double(burst), last: now)
        let accepted = bucket.tryTake(burst: burst, refillInterval: refillInterval, now: now)
        buckets.set(key, bucket)
        return !accepted
    }
}
