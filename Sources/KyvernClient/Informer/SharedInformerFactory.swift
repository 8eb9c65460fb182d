public import Logging
import Synchronization

/// Hands out one informer per resource and namespace, so the controllers of one process share a
/// single watch and cache per resource instead of each opening its own.
public final class SharedInformerFactory: Sendable {
    private struct Key: Hashable {
        var resource: ResourceRef
        var namespace: String?
    }

    private struct State {
        var informers: [Key: Informer] = [:]
        var order: [Informer] = []
        /// Informers created while `run()` is running, for it to start.
        var started: AsyncStream<Informer>.Continuation?
    }

    /// The client every informer of this factory uses.
    public let client: any KubernetesClient
    let defaultResync: Duration?
    let logger: Logger
    private let state = Mutex(State())

    /// `resyncPeriod` applies to every informer this factory creates.
    public init(client: any KubernetesClient, resyncPeriod: Duration? = nil,
                logger: Logger = Logger(label: "kyvern.informers")) {
        self.client = client
        self.defaultResync = resyncPeriod
        self.logger = logger
    }

    /// The informer for `resource` (in `namespace`, or all namespaces), created on first request.
    /// Indexers asked for by later callers are added to the existing informer.
    public func informer(for resource: ResourceRef, namespace: String? = nil,
                         indexers: [String: Indexer] = [:]) async -> Informer {
        let key = Key(resource: resource, namespace: resource.namespaced ? namespace : nil)
        let (informer, created) = state.withLock { state -> (Informer, Bool) in
            if let existing = state.informers[key] { return (existing, false) }
            let informer = Informer(client: client, resource: resource, namespace: key.namespace,
                                    resyncPeriod: defaultResync, indexers: indexers, logger: logger)
            state.informers[key] = informer
            state.order.append(informer)
            state.started?.yield(informer)
            return (informer, true)
        }
        if !created && !indexers.isEmpty { await informer.addIndexers(indexers) }
        return informer
    }

    /// Every informer created so far.
    public var informers: [Informer] { state.withLock { $0.order } }

    /// Runs every informer (including ones created later) as child tasks, until cancelled.
    public func run() async throws {
        let (newInformers, continuation) = AsyncStream.makeStream(of: Informer.self)
        let existing = state.withLock { state -> [Informer] in
            state.started = continuation
            return state.order
        }
        defer { state.withLock { $0.started = nil } }
        await withTaskGroup(of: Void.self) { group in
            for informer in existing {
                group.addTask { try? await informer.run() }
            }
            // Ends when this task is cancelled (an AsyncStream's iteration stops on cancellation).
            for await informer in newInformers {
                group.addTask { try? await informer.run() }
            }
            group.cancelAll()
        }
    }

    /// Returns once every informer created so far has synced.
    public func waitForSync() async {
        for informer in informers {
            await informer.waitForSync()
        }
    }
}
