import Foundation
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
    /// Start steps in flight (see ``startStep(_:isolation:_:)``).
    var startSlots = AsyncSemaphore(limit: PodContext.startConcurrency)

    /// Start steps at once: twice the processors. A start step runs short-lived helpers (runc and
    /// its init, the CNI plugins), and a hundred pods starting at once were a hundred runnable
    /// processes: the scheduler gives each process an equal share, so the API server and
    /// controllers, a few threads, got a few percent of the CPU and every claim and pod waited.
    static let startConcurrency = max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)

    /// A runtime step that starts something (a sandbox with its network, a container's create or
    /// start), timed, with at most ``startConcurrency`` of them in flight on this node.
    func startStep<T: Sendable>(_ operation: String, isolation: isolated (any Actor)? = #isolation,
                                _ body: () async throws -> T) async throws -> T {
        await startSlots.acquire()
        do {
            let result = try await timed(operation, body)
            await startSlots.release()
            return result
        } catch {
            await startSlots.release()
            throw error
        }
    }

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
