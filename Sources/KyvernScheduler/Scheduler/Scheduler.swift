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
/// The limit is high (128) because a binding may wait: PreBind waits for a pod's volumes to be
/// provisioned and bound, Permit for its gang; a low limit would stall scheduling behind them.
public final class Scheduler: Service, Sendable {
    public let profiles: [String: Framework]
    let client: any KubernetesClient
    let queue: SchedulingQueue
    let cache: SchedulerCache
    let recorder: EventRecorder
    let metrics: SchedulerMetrics
    let logger: Logger
    let bindConcurrency: Int
    /// The shared informers the scheduler reads the cluster through (pods, nodes, and the
    /// objects of ``ClusterObjects``); other components of the process may share it.
    public let informers: SharedInformerFactory
    let clusterObjects = ClusterObjects()
    /// What VolumeBinding's PreBind waits on, fed from the claim and volume informers.
    let storageUpdates: StorageUpdates?
    let nominator = PodNominator()

    /// `profiles` maps a `spec.schedulerName` to its framework (each with its Bind plugin, as
    /// built from a registry holding DefaultBinder: ``PluginRegistry/running(client:)``).
    public convenience init(client: any KubernetesClient, profiles: [String: Framework], registry: PrometheusCollectorRegistry,
                            logger: Logger, bindConcurrency: Int = 128, queue: SchedulingQueue = SchedulingQueue(),
                            recorder: EventRecorder = EventRecorder(), informers: SharedInformerFactory? = nil) {
        self.init(client: client, profiles: profiles, registry: registry, logger: logger, bindConcurrency: bindConcurrency,
                  queue: queue, recorder: recorder, informers: informers, storage: nil)
    }

    package init(client: any KubernetesClient, profiles: [String: Framework], registry: PrometheusCollectorRegistry,
                 logger: Logger, bindConcurrency: Int = 128, queue: SchedulingQueue = SchedulingQueue(),
                 recorder: EventRecorder = EventRecorder(), informers: SharedInformerFactory? = nil,
                 storage: StorageUpdates?) {
        self.storageUpdates = storage
        self.client = client
        self.profiles = profiles
        self.queue = queue
        self.cache = SchedulerCache()
        self.recorder = recorder
        self.metrics = SchedulerMetrics(registry: registry)
        self.logger = logger
        self.bindConcurrency = bindConcurrency
        self.informers = informers ?? SharedInformerFactory(client: client, logger: logger)
    }

    /// The scheduler for a loaded configuration: its profiles and its pod backoff.
    public convenience init(client: any KubernetesClient, configuration: SchedulerProfiles,
                            registry: PrometheusCollectorRegistry, logger: Logger) {
        self.init(client: client, configuration: configuration, registry: registry, logger: logger, storage: nil)
    }

    /// `storage` is the one the configuration's registry gave VolumeBinding (``PluginRegistry/running(client:storage:)``).
    package convenience init(client: any KubernetesClient, configuration: SchedulerProfiles,
                             registry: PrometheusCollectorRegistry, logger: Logger, storage: StorageUpdates?) {
        let backoff = BackoffPolicy(initial: configuration.podInitialBackoff.seconds,
                                    maximum: configuration.podMaxBackoff.seconds)
        self.init(client: client, profiles: configuration.frameworks, registry: registry, logger: logger,
                  queue: SchedulingQueue(backoff: backoff), storage: storage)
    }

    /// Runs until cancelled or the service group shuts down gracefully.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.runComponents()
        }
    }

    func runComponents() async {
        let watched = await registerHandlers()
        await withDiscardingTaskGroup { group in
            group.addTask { try? await self.informers.run() }
            group.addTask { await self.queue.run() }
            group.addTask { await self.recorder.run(client: self.client, logger: self.logger) }
            group.addTask {
                while !Task.isCancelled {
                    self.metrics.pending(await self.queue.counts)
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            group.addTask {
                for informer in watched { await informer.waitForSync() }
                guard !Task.isCancelled else { return }
                self.logger.info("scheduler caches synced, scheduling",
                                 metadata: ["profiles": "\(self.profiles.keys.sorted())"])
                await self.scheduleLoop()
            }
        }
    }

    /// Subscribes to every informer the scheduler needs; returns them, to wait for their sync.
    func registerHandlers() async -> [Informer] {
        let nodes = await informers.informer(for: .nodes)
        await nodes.addHandler { await self.handleNode($0) }
        let pods = await informers.informer(for: .pods)
        await pods.addHandler { await self.handlePod($0) }
        let objects = clusterObjects
        let namespaces = await informers.informer(for: .namespaces)
        await namespaces.addHandler { objects.handleNamespace($0) }
        let services = await informers.informer(for: .services)
        await services.addHandler { objects.handleService($0) }
        var controllers: [Informer] = []
        for (resource, kind) in [(ResourceRef.replicaSets, "ReplicaSet"), (.statefulSets, "StatefulSet"),
                                 (.replicationControllers, "ReplicationController")] {
            let informer = await informers.informer(for: resource)
            await informer.addHandler { objects.handleController(kind: kind, $0) }
            controllers.append(informer)
        }
        let budgets = await informers.informer(for: .podDisruptionBudgets)
        await budgets.addHandler { objects.handleBudget($0) }
        var storage: [Informer] = []
        for (resource, kind) in [(ResourceRef.persistentVolumeClaims, ClusterObjects.StorageKind.claim),
                                 (.persistentVolumes, .volume), (.storageClasses, .storageClass)] {
            let informer = await informers.informer(for: resource)
            await informer.addHandler { await self.handleStorage(kind, $0) }
            storage.append(informer)
        }
        return [nodes, pods, namespaces, services, budgets] + controllers + storage
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
