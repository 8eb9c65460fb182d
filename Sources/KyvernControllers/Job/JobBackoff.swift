import Foundation
import KyvernAPI

/// The delay before a Job replaces failed pods (upstream's pod failure backoff): 10 s after the
/// first failure since the last success, doubling with each further one, at most 10 minutes,
/// counted from the latest failure.
enum JobBackoff {
    static let base: TimeInterval = 10
    static let cap: TimeInterval = 600

    /// Seconds still to wait at `now` before creating pods, 0 when none; `pods` are the pods
    /// whose failures count (one index's, for `backoffLimitPerIndex`).
    static func remaining(pods: [JSONValue], spec: JobSpec, now: Date) -> TimeInterval {
        let lastSuccess = pods.filter(JobPodFacts.succeeded).compactMap(JobPodFacts.finishTime).max()
        let failures = pods.filter { pod in
            // Terminal failures only: pods deleted (scale-down, suspension) did not crash.
            guard PodState.phase(pod) == "Failed" else { return false }
            return PodFailurePolicy.match(spec.podFailurePolicy, pod: pod).counts
        }.compactMap(JobPodFacts.finishTime).filter { lastSuccess == nil || $0 > lastSuccess! }
        guard let lastFailure = failures.max() else { return 0 }
        let delay = min(cap, base * pow(2, Double(failures.count - 1)))
        return max(0, lastFailure.addingTimeInterval(delay).timeIntervalSince(now))
    }
}
