/// What the probes of one container have concluded so far, read by its pod worker.
struct ContainerProbeState: Sendable, Hashable {
    /// Without a readiness probe a started container is ready; with one, not until it succeeds.
    var ready: Bool
    /// Without a startup probe a running container counts as started at once.
    var started: Bool
    /// Set once the liveness probe reached its failure threshold; the worker restarts the container.
    var livenessFailed = false
    var livenessMessage = ""
}
