import KyvernAPI
package import KyvernClient
package import Logging

/// Watches namespaces and ServiceAccounts; a new or changed namespace, or a deleted `default`
/// account, queues the namespace for ``DefaultServiceAccountSync``.
package struct ServiceAccountsController: Sendable {
    let client: any KubernetesClient
    let workers: Int
    let logger: Logger

    package init(client: any KubernetesClient, workers: Int = 1,
                 logger: Logger = Logger(label: "kyvern.controller.serviceaccount")) {
        self.client = client
        self.workers = workers
        self.logger = logger
    }

    package func run() async throws {
        let queue = WorkQueue<String>(name: "serviceaccount")
        let namespaces = Informer(client: client, resource: .namespaces, logger: logger)
        let accounts = Informer(client: client, resource: .serviceAccounts, logger: logger)
        await namespaces.addHandler { event in
            if case .deleted = event { return }
            if let name = event.object[path: ["metadata", "name"]]?.stringValue { await queue.add(name) }
        }
        await accounts.addHandler { event in
            guard case .deleted(let account) = event,
                  account[path: ["metadata", "name"]]?.stringValue == DefaultServiceAccountSync.accountName,
                  let namespace = account[path: ["metadata", "namespace"]]?.stringValue else { return }
            await queue.add(namespace)
        }
        let sync = DefaultServiceAccountSync(client: client)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await namespaces.run() }
            group.addTask { try await accounts.run() }
            group.addTask {
                await namespaces.waitForSync()
                await accounts.waitForSync()
                await WorkerPool.run(queue: queue, workers: workers, logger: logger) { name in
                    try await sync.sync(namespace: name)
                }
            }
            defer { Task { await queue.shutDown() } }
            try await group.next()
            group.cancelAll()
        }
    }
}
