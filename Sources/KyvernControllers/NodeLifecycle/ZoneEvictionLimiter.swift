import Foundation

/// One token bucket per zone (burst 1, as upstream's eviction rate limiters): how many nodes of a
/// zone may get a NoExecute taint per second.
actor ZoneEvictionLimiter {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private var buckets: [String: Bucket] = [:]

    /// Takes a token of `zone` at `rate` per second: nil when granted, otherwise how long until
    /// one is due (the full `retry` when the rate is zero).
    func acquire(zone: String, rate: Double, now: Date, retry: Duration) -> Duration? {
        guard rate > 0 else { return retry }
        var bucket = buckets[zone] ?? Bucket(tokens: 1, updated: now)
        bucket.tokens = min(1, bucket.tokens + now.timeIntervalSince(bucket.updated) * rate)
        bucket.updated = now
        defer { buckets[zone] = bucket }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return nil
        }
        return .milliseconds(Int64(((1 - bucket.tokens) / rate * 1000).rounded(.up)))
    }
}
