/// How long a failed key waits before it is retried: upstream's default controller rate
/// limiter, the larger of a per-key exponential backoff and an overall token bucket.
///
/// The per-key part stops one broken object from being retried in a hot loop; the bucket stops
/// many failing keys together from flooding the API server.
public struct RateLimiterConfiguration: Sendable, Hashable {
    /// First retry delay of a key; doubled on each further failure.
    public var baseDelay: Duration
    /// Cap of the per-key delay.
    public var maxDelay: Duration
    /// Sustained retries per second over all keys.
    public var qps: Double
    /// Retries allowed at once before `qps` applies.
    public var burst: Int

    /// Upstream's defaults unless given.
    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000),
                qps: Double = 10, burst: Int = 100) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.qps = qps
        self.burst = burst
    }

    /// Upstream's `DefaultControllerRateLimiter`: 5 ms · 2ⁿ up to 1000 s, and 10 qps with a burst of 100.
    public static let controllerDefault = RateLimiterConfiguration()
}

/// The state of a ``RateLimiterConfiguration``: failures per key and the bucket's tokens.
struct RateLimiter<Key: Hashable>: Sendable where Key: Sendable {
    let configuration: RateLimiterConfiguration
    private(set) var failures: [Key: Int] = [:]
    /// Tokens may go negative: each reservation beyond the burst is a debt paid off at `qps`.
    private var tokens: Double
    private var lastRefill: ContinuousClock.Instant?

    init(_ configuration: RateLimiterConfiguration) {
        self.configuration = configuration
        self.tokens = Double(configuration.burst)
    }

    /// The delay for one more retry of `key`, counting it as a failure.
    mutating func when(_ key: Key, now: ContinuousClock.Instant) -> Duration {
        let exponent = failures[key, default: 0]
        failures[key] = exponent + 1
        return max(backoff(exponent), reserveToken(now: now))
    }

    mutating func forget(_ key: Key) {
        failures[key] = nil
    }

    func numRequeues(_ key: Key) -> Int {
        failures[key] ?? 0
    }

    private func backoff(_ exponent: Int) -> Duration {
        // Past 2^40 · base the cap has long been reached; avoid overflowing the multiplication.
        guard exponent < 40 else { return configuration.maxDelay }
        let delay = configuration.baseDelay * (1 << exponent)
        return min(delay, configuration.maxDelay)
    }

    private mutating func reserveToken(now: ContinuousClock.Instant) -> Duration {
        guard configuration.qps > 0 else { return .zero }
        if let lastRefill {
            let elapsed = now - lastRefill
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(Double(configuration.burst), tokens + seconds * configuration.qps)
        }
        lastRefill = now
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / configuration.qps * 1e9).rounded(.up)))
    }
}
