import KyvernAPI
package import KyvernClient
package import Logging

/// Runs the ``GarbageCollector``: one informer per resource that supports list and watch (so the
/// graph is rebuilt from lists after a restart), workers start once every informer has synced.
package struct GarbageCollectorController: Sendable {
    let client: any KubernetesClient
    let resources: @Sendable () async throws -> [GCResource]
    let workers: Int
    let logger: Logger

    package init(client: any KubernetesClient, resources: @escaping @Sendable () async throws -> [GCResource],
                 workers: Int = 20, logger: Logger = Logger(label: "kyvern.controller.garbagecollector")) {
        self.client = client
        self.resources = resources
        self.workers = workers
        self.logger = logger
    }

    package func run() async throws {
        let watched = try await resources()
        let collector = GarbageCollector(client: client, resources: watched, logger: logger)
        let queue = WorkQueue<String>(name: "garbage_collector_attempt_to_delete")
        let informers = watched.map { Informer(client: client, resource: $0.ref, logger: logger) }
        for (resource, informer) in zip(watched, informers) {
            await informer.addHandler { event in
                for uid in await collector.observe(event, resource: resource) { await queue.add(uid) }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for informer in informers { group.addTask { try await informer.run() } }
            group.addTask {
                for informer in informers { await informer.waitForSync() }
                await WorkerPool.run(queue: queue, workers: workers, logger: logger) { uid in
                    for next in try await collector.process(uid: uid) { await queue.add(next) }
                }
            }
            defer { Task { await queue.shutDown() } }
            try await group.next()
            group.cancelAll()
        }
    }
}
