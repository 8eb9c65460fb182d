import KyvernAPI
import KyvernClient
import Logging

/// Keys are object uids (carried in ``ObjectKey/name``); processing one may queue its dependents.
/// One more key, ``GCResourceMonitor/key``, stands for "discover resources again".
struct GarbageCollectorReconciler: Reconciler {
    let collector: GarbageCollector
    let monitor: GCResourceMonitor
    let queue: ControllerQueue

    func reconcile(_ key: ObjectKey) async throws {
        if key == GCResourceMonitor.key {
            await queue.addAfter(key, delay: monitor.period)
            try await monitor.sync()
            return
        }
        for uid in try await collector.process(uid: key.name) {
            await queue.add(ObjectKey(namespace: nil, name: uid))
        }
    }
}

/// Keeps the collector watching every resource the server serves: discovers them (as upstream
/// does every 30 s), and starts a shared informer for each new one, whose events feed the graph.
/// A resource that appears later (a custom resource) is collected from the next pass on.
struct GCResourceMonitor: Sendable {
    /// The work-queue key of a discovery pass; no object has an empty uid in this namespace.
    static let key = ObjectKey(namespace: "kyvern.io/resource-discovery", name: "")

    let discovery: APIDiscovery
    let collector: GarbageCollector
    let queue: ControllerQueue
    let informer: @Sendable (ResourceRef) async -> Informer
    let logger: Logger
    var period: Duration = .seconds(30)

    /// Discovers resources and watches the new ones; returns those newly watched.
    @discardableResult
    func sync() async throws -> [GCResource] {
        let found = try await discovery.collectedResources()
        if !found.failures.isEmpty {
            logger.warning("resource discovery incomplete", metadata: ["failures": "\(found.failures)"])
        }
        let added = await collector.add(found.resources)
        for resource in added {
            let informer = await informer(resource.ref)
            let collector = collector, queue = queue
            await informer.addHandler { event in
                for uid in await collector.observe(event, resource: resource) {
                    await queue.add(ObjectKey(namespace: nil, name: uid))
                }
            }
        }
        if !added.isEmpty {
            logger.debug("watching newly discovered resources", metadata: ["resources": "\(added.map(\.ref.resource))"])
        }
        return added
    }

    /// The first pass, retried briefly: the server may still be starting its API groups.
    func initialSync(attempts: Int = 10, delay: Duration = .seconds(1)) async {
        for attempt in 1...attempts {
            do {
                try await sync()
                return
            } catch {
                logger.warning("resource discovery failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
            }
        }
    }
}

extension GarbageCollector {
    /// One shared informer per discovered resource, so the graph is rebuilt from lists after a
    /// restart and kept current by watches; discovery runs again every 30 s.
    static let definition = ControllerDefinition(name: "garbagecollector", aliases: ["garbage-collector-controller"]) { context in
        let collector = GarbageCollector(client: context.client, resources: [], logger: context.logger)
        let queue = context.makeQueue()
        let monitor = GCResourceMonitor(discovery: APIDiscovery(client: context.client), collector: collector, queue: queue,
                                        informer: { await context.informer(for: $0) }, logger: context.logger)
        await monitor.initialSync()
        await queue.addAfter(GCResourceMonitor.key, delay: monitor.period)
        return context.runner(GarbageCollectorReconciler(collector: collector, monitor: monitor, queue: queue), queue: queue)
    }
}
