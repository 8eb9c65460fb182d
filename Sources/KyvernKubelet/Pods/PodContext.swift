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

    /// Start steps at once: one per processor (at least two). A start step runs short-lived,
    /// CPU-bound helpers (runc and its init, the CNI plugins), and a hundred pods starting at once
    /// were a hundred runnable processes: the kernel gives each an equal share, so the API server
    /// and controllers, a few threads, got a few percent of the CPU and every claim and pod waited.
    /// More than one per core only time-slices them (bench/pods: 100 pods p50 5.5 s unbounded,
    /// 4.0 s at two per core, 4.4–4.7 s at one; bench/storage: 100 claims Bound p99 about 1.0 s at
    /// two per core, 0.8 s at one).
    static let startConcurrency = max(2, ProcessInfo.processInfo.activeProcessorCount)

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
