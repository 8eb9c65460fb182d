import KyvernAPI
import KyvernClient

/// Keys are object uids (carried in ``ObjectKey/name``); processing one may queue its dependents.
struct GarbageCollectorReconciler: Reconciler {
    let collector: GarbageCollector
    let queue: ControllerQueue

    func reconcile(_ key: ObjectKey) async throws {
        for uid in try await collector.process(uid: key.name) {
            await queue.add(ObjectKey(namespace: nil, name: uid))
        }
    }
}

extension GarbageCollector {
    /// One shared informer per collected resource, so the graph is rebuilt from lists after a
    /// restart and kept current by watches.
    static let definition = ControllerDefinition(name: "garbagecollector", aliases: ["garbage-collector-controller"]) { context in
        let resources = CatalogDiscovery.collectedResources
        let collector = GarbageCollector(client: context.client, resources: resources, logger: context.logger)
        let queue = context.makeQueue()
        for resource in resources {
            let informer = await context.informer(for: resource.ref)
            await informer.addHandler { event in
                for uid in await collector.observe(event, resource: resource) {
                    await queue.add(ObjectKey(namespace: nil, name: uid))
                }
            }
        }
        return context.runner(GarbageCollectorReconciler(collector: collector, queue: queue), queue: queue)
    }
}
