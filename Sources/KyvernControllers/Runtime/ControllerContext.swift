public import KyvernClient
public import Logging
public import Prometheus

/// What a controller gets when it starts: the client, the shared informers, its metrics
/// registry, its worker count and a logger labelled with its name.
public struct ControllerContext: Sendable {
    public let name: String
    public let client: any KubernetesClient
    public let registry: PrometheusCollectorRegistry
    public let workers: Int
    public let logger: Logger
    /// The manager's options, for controllers with settings of their own (`--cluster-cidr`).
    public let options: ControllerManagerOptions
    let informers: SharedInformerFactory

    init(name: String, client: any KubernetesClient, informers: SharedInformerFactory,
         registry: PrometheusCollectorRegistry, workers: Int, logger: Logger,
         options: ControllerManagerOptions = ControllerManagerOptions()) {
        self.name = name
        self.options = options
        self.client = client
        self.informers = informers
        self.registry = registry
        self.workers = workers
        var logger = logger
        logger[metadataKey: "controller"] = .string(name)
        self.logger = logger
    }

    /// The shared informer of `resource`; the manager waits for its first list before any
    /// worker runs, so a reconcile never acts on an empty cache.
    public func informer(for resource: ResourceRef, indexers: [String: Indexer] = [:]) async -> Informer {
        await informers.informer(for: resource, indexers: indexers)
    }

    /// A fresh work queue for this controller, counted in its metrics.
    public func makeQueue() -> ControllerQueue {
        ControllerQueue(queue: WorkQueue<ObjectKey>(name: name), metrics: ControllerMetrics(controller: name, registry: registry))
    }

    /// A runner for `reconciler` on `queue` with this controller's worker count.
    /// `companions` run beside the workers and are cancelled with them.
    public func runner(_ reconciler: any Reconciler, queue: ControllerQueue,
                       companions: [@Sendable () async -> Void] = []) -> ControllerRunner {
        ControllerRunner(name: name, reconciler: reconciler, queue: queue, workers: workers, logger: logger,
                         companions: companions)
    }
}
