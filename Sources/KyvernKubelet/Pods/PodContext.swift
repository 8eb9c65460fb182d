import KyvernAPI
import KyvernClient
import KyvernRuntime
import Logging

/// What every pod worker shares: the cluster, the runtime, the helpers, this node.
struct PodContext: Sendable {
    let client: any KubernetesClient
    let runtime: any ContainerRuntime
    let images: any ImageService
    let volumes: any PodVolumeManaging
    let environment: any ContainerEnvironmentResolving
    let events: PodEventRecorder
    let probes: ProbeManager
    let prober: Prober
    let clock: any AgentClock
    let sandboxes: SandboxConfigBuilder
    let nodeName: String
    let nodeIP: String
    /// Prefix of reported container ids, e.g. `runc`.
    let runtimeName: String
    let metrics: AgentMetrics?
    let logger: Logger
    /// How often a worker re-reads its volumes (configMap and secret contents).
    var volumeRefreshSeconds: Double = 30

    /// Times a runtime call into `kubelet_runtime_operations_duration_seconds`.
    func timed<T: Sendable>(_ operation: String, isolation: isolated (any Actor)? = #isolation,
                            _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let result = try await body()
            metrics?.runtimeOperation(operation, ContinuousClock.now - start)
            return result
        } catch {
            metrics?.runtimeError(operation)
            throw error
        }
    }
}
