import KyvernAPI
package import KyvernClient
package import Logging

/// Watches namespaces and empties each terminating one with ``NamespaceContentDeleter``; a
/// namespace whose content is still going away is looked at again after `retryDelay`.
package struct NamespaceController: Sendable {
    let client: any KubernetesClient
    let resources: @Sendable () async throws -> [ResourceRef]
    let workers: Int
    let retryDelay: Duration
    let logger: Logger

    package init(client: any KubernetesClient, resources: @escaping @Sendable () async throws -> [ResourceRef],
                 workers: Int = 10, retryDelay: Duration = .milliseconds(500),
                 logger: Logger = Logger(label: "kyvern.controller.namespace")) {
        self.client = client
        self.resources = resources
        self.workers = workers
        self.retryDelay = retryDelay
        self.logger = logger
    }

    package func run() async throws {
        let queue = WorkQueue<String>(name: "namespace")
        let namespaces = Informer(client: client, resource: .namespaces, logger: logger)
        await namespaces.addHandler { event in
            let object = event.object
            guard object[path: ["metadata", "deletionTimestamp"]] != nil,
                  let name = object[path: ["metadata", "name"]]?.stringValue else { return }
            await queue.add(name)
        }
        let deleter = NamespaceContentDeleter(client: client, resources: resources, logger: logger)
        let retryDelay = self.retryDelay
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await namespaces.run() }
            group.addTask {
                await namespaces.waitForSync()
                await WorkerPool.run(queue: queue, workers: workers, logger: logger) { name in
                    if try await deleter.sync(namespace: name) == .waiting {
                        await queue.addAfter(name, delay: retryDelay)
                    }
                }
            }
            defer { Task { await queue.shutDown() } }
            try await group.next()
            group.cancelAll()
        }
    }
}
