/// How long a pod waits before retrying after a failed attempt: upstream's per-pod exponential
/// backoff, 1 s doubling per attempt up to 10 s.
public struct BackoffPolicy: Sendable, Hashable {
    public var initial: Double
    public var maximum: Double

    public init(initial: Double = 1, maximum: Double = 10) {
        self.initial = initial
        self.maximum = maximum
    }

    public func duration(attempts: Int) -> Double {
        var duration = initial
        for _ in 1..<max(attempts, 1) {
            duration *= 2
            if duration >= maximum { return maximum }
        }
        return min(duration, maximum)
    }
}
