public import Prometheus

/// The scheduler's metrics, under upstream's names and labels.
public struct SchedulerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    static let attemptBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]
    static let sliBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80), .milliseconds(160),
        .milliseconds(320), .milliseconds(640), .seconds(1), .seconds(3), .seconds(5), .seconds(10),
        .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(320), .seconds(640),
    ]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        for queue in ["active", "backoff", "unschedulable", "gated"] { pendingGauge(queue).set(Double(0)) }
    }

    /// `result` is "scheduled", "unschedulable" or "error", as upstream.
    func attempt(result: String, profile: String, duration: Duration) {
        registry.makeCounter(name: "scheduler_schedule_attempts_total",
                             labels: [("result", result), ("profile", profile)]).increment()
        registry.makeDurationHistogram(name: "scheduler_scheduling_attempt_duration_seconds",
                                       labels: [("result", result), ("profile", profile)],
                                       buckets: Self.attemptBuckets).record(duration)
    }

    /// From the pod's first entry into the queue to its successful binding.
    func scheduled(attempts: Int, sinceFirstAttempt duration: Duration) {
        registry.makeDurationHistogram(name: "scheduler_pod_scheduling_sli_duration_seconds",
                                       labels: [("attempts", String(attempts))],
                                       buckets: Self.sliBuckets).record(duration)
    }

    func pending(_ counts: SchedulingQueue.Counts) {
        pendingGauge("active").set(Double(counts.active))
        pendingGauge("backoff").set(Double(counts.backoff))
        pendingGauge("unschedulable").set(Double(counts.unschedulable))
    }

    private func pendingGauge(_ queue: String) -> Gauge {
        registry.makeGauge(name: "scheduler_pending_pods", labels: [("queue", queue)])
    }
}
