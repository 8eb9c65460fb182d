public import Prometheus

/// The metrics one controller reports, labelled by its name, in the component's registry.
///
/// Names follow upstream's work-queue metrics (`workqueue_depth`, `workqueue_adds_total`,
/// `workqueue_work_duration_seconds` is the reconcile latency, `workqueue_queue_duration_seconds`
/// the wait for a worker) so existing dashboards apply;
/// failed reconciles are counted as controller-runtime does.
public struct ControllerMetrics: Sendable {
    let depth: Gauge
    let adds: Counter
    let retries: Counter
    let latency: DurationHistogram
    let waited: DurationHistogram
    let errors: Counter

    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    public init(controller name: String, registry: PrometheusCollectorRegistry) {
        func descriptor(_ subsystem: String, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
        }
        depth = registry.makeGauge(
            descriptor: descriptor("workqueue", "depth", "", "Current depth of workqueue"), labels: [("name", name)])
        adds = registry.makeCounter(
            descriptor: descriptor("workqueue", "adds", "total", "Total number of adds handled by workqueue"),
            labels: [("name", name)])
        retries = registry.makeCounter(
            descriptor: descriptor("workqueue", "retries", "total", "Total number of retries handled by workqueue"),
            labels: [("name", name)])
        latency = registry.makeDurationHistogram(
            descriptor: descriptor("workqueue", "work_duration", "seconds",
                                   "How long in seconds processing an item from workqueue takes."),
            labels: [("name", name)], buckets: Self.buckets)
        waited = registry.makeDurationHistogram(
            descriptor: descriptor("workqueue", "queue_duration", "seconds",
                                   "How long in seconds an item stays in workqueue before being requested."),
            labels: [("name", name)], buckets: Self.buckets)
        errors = registry.makeCounter(
            descriptor: descriptor("controller", "reconcile_errors", "total", "Total number of reconciliation errors per controller"),
            labels: [("controller", name)])
    }
}
