import Prometheus

/// What the node agent reports at `/metrics`, named after upstream's kubelet metrics.
struct AgentMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let podStartDuration: DurationHistogram
    let runningPods: Gauge
    let runningContainers: Gauge
    let podWorkerErrors: Counter

    static let startBuckets: [Duration] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300].map {
        .milliseconds(Int64($0 * 1000))
    }
    static let operationBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].map {
        .milliseconds(Int64($0 * 1000))
    }

    /// A descriptor for an upstream metric name spelled out whole.
    static func name(_ full: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: full, unitName: "", helpText: help)
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        podStartDuration = registry.makeDurationHistogram(
            descriptor: Self.name("kubelet_pod_start_duration_seconds", "Time from the agent first seeing a pod to all its containers running"),
            labels: [], buckets: Self.startBuckets)
        runningPods = registry.makeGauge(descriptor: Self.name("kubelet_running_pods", "Pods with a running sandbox"))
        runningContainers = registry.makeGauge(descriptor: Self.name("kubelet_running_containers", "Containers by state"),
                                               labels: [("container_state", "running")])
        podWorkerErrors = registry.makeCounter(descriptor: Self.name("kubelet_pod_worker_errors_total", "Pod syncs that failed"))
    }

    /// `prober_probe_total{probe_type, result}` as upstream counts probe attempts.
    func probeResult(_ kind: ProbeSpec.Kind, _ outcome: ProbeOutcome) {
        registry.makeCounter(descriptor: Self.name("prober_probe_total", "Probe attempts by type and result"),
                             labels: [("probe_type", kind.rawValue), ("result", outcome.succeeded ? "successful" : "failed")]).increment()
    }

    /// `kubelet_runtime_operations_duration_seconds{operation_type}`.
    func runtimeOperation(_ operation: String, _ duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: Self.name("kubelet_runtime_operations_duration_seconds", "Duration of container runtime operations"),
            labels: [("operation_type", operation)], buckets: Self.operationBuckets).record(duration)
    }

    /// `kubelet_runtime_operations_errors_total{operation_type}`.
    func runtimeError(_ operation: String) {
        registry.makeCounter(descriptor: Self.name("kubelet_runtime_operations_errors_total", "Failed container runtime operations"),
                             labels: [("operation_type", operation)]).increment()
    }
}
