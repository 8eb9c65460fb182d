public import KyvernClient
public import Logging
public import Prometheus
public import ServiceLifecycle

/// The running scheduler: watches pods and nodes, schedules each pending pod with its profile's
/// framework, and binds it through the API — upstream's `scheduleOne` loop.
///
/// One loop pops pods and runs the scheduling cycle (filter, score, assume, reserve, permit)
/// against a snapshot; the binding cycle then runs in a separate task, up to
/// ``bindConcurrency`` at once, so the next pod is scheduled while earlier bindings are in flight.
public final class Scheduler: Service, Sendable {
    public let profiles: [String: Framework]
    let client: any KubernetesClient
    let queue: SchedulingQueue
    let cache: SchedulerCache
    let recorder: EventRecorder
    let metrics: SchedulerMetrics
    let logger: Logger
    let bindConcurrency: Int

    /// `profiles` maps a `spec.schedulerName` to its framework; a profile without a Bind plugin
    /// gets DefaultBinder.
    public init(client: any KubernetesClient, profiles: [String: Framework], registry: PrometheusCollectorRegistry,
                logger: Logger, bindConcurrency: Int = 16, queue: SchedulingQueue = SchedulingQueue(),
                recorder: EventRecorder = EventRecorder()) {
        self.client = client
        self.profiles = profiles.mapValues { $0.withDefaultBinder(client: client) }
        self.queue = queue
        self.cache = SchedulerCache()
        self.recorder = recorder
        self.metrics = SchedulerMetrics(registry: registry)
        self.logger = logger
        self.bindConcurrency = bindConcurrency
    }

    /// The profile upstream runs when no configuration is given, from the plugins available.
    public static func defaultProfiles() -> [String: Framework] {
        ["default-scheduler": Framework(plugins: [
            NodeUnschedulable(), NodeName(), TaintToleration(), NodeAffinity(), NodePorts(),
            NodeResourcesFit(), ImageLocality(),
        ], weights: ["TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1, "ImageLocality": 1])]
    }

    /// Runs until cancelled or the service group shuts down gracefully.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.runComponents()
        }
    }

    func runComponents() async {
        await withDiscardingTaskGroup { group in
            let podsSynced = SyncLatch()
            let nodesSynced = SyncLatch()
            group.addTask {
                await ListWatch(client: self.client, resource: .nodes, logger: self.logger)
                    .run(handler: { await self.handleNode($0) }, synced: { await nodesSynced.open() })
                await nodesSynced.open()
            }
            group.addTask {
                await ListWatch(client: self.client, resource: .pods, logger: self.logger)
                    .run(handler: { await self.handlePod($0) }, synced: { await podsSynced.open() })
                await podsSynced.open()
            }
            group.addTask { await self.queue.run() }
            group.addTask { await self.recorder.run(client: self.client, logger: self.logger) }
            group.addTask {
                while !Task.isCancelled {
                    self.metrics.pending(await self.queue.counts)
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            group.addTask {
                await nodesSynced.wait()
                await podsSynced.wait()
                guard !Task.isCancelled else { return }
                self.logger.info("scheduler caches synced, scheduling",
                                 metadata: ["profiles": "\(self.profiles.keys.sorted())"])
                await self.scheduleLoop()
            }
        }
    }
}

/// Opens once; `wait` returns immediately after that.
actor SyncLatch {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
