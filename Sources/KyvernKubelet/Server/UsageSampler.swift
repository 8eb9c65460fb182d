import Foundation

/// Turns cumulative CPU counters into rates (nanocores), the way cAdvisor does for upstream's
/// summary API: a rate needs two samples, so the first request waits one second for a second one
/// and later requests reuse the previous sample when it is at least a second old.
actor UsageSampler {
    struct Sample: Sendable {
        var time: Date
        var cumulativeNanoseconds: UInt64
    }

    private var samples: [String: Sample] = [:]
    private var rates: [String: UInt64] = [:]
    static let minimumInterval: TimeInterval = 1

    /// Whether a key has a baseline to compute a rate from.
    func hasBaseline(_ key: String) -> Bool { samples[key] != nil }

    /// Records a sample and returns the rate in nanocores (nil until there are two samples).
    func record(_ key: String, cumulative: UInt64, at time: Date) -> UInt64? {
        guard let previous = samples[key] else {
            samples[key] = Sample(time: time, cumulativeNanoseconds: cumulative)
            return nil
        }
        let elapsed = time.timeIntervalSince(previous.time)
        guard elapsed >= Self.minimumInterval || rates[key] == nil, elapsed > 0 else { return rates[key] }
        let delta = cumulative >= previous.cumulativeNanoseconds ? cumulative - previous.cumulativeNanoseconds : 0
        let rate = UInt64(Double(delta) / elapsed)
        samples[key] = Sample(time: time, cumulativeNanoseconds: cumulative)
        rates[key] = rate
        return rate
    }

    /// Forgets keys no longer present (removed containers).
    func retain(_ keys: Set<String>) {
        samples = samples.filter { keys.contains($0.key) }
        rates = rates.filter { keys.contains($0.key) }
    }
}
