import KyvernAPI
import KyvernClient

/// The `default` ServiceAccount reconciler keyed by namespace name.
struct ServiceAccountsReconciler: Reconciler {
    let sync: DefaultServiceAccountSync

    func reconcile(_ key: ObjectKey) async throws {
        try await sync.sync(namespace: key.name)
    }
}

enum ServiceAccountsController {
    /// A new or changed namespace, or a deleted `default` account, queues the namespace.
    static let definition = ControllerDefinition(name: "serviceaccount", aliases: ["serviceaccount-controller"]) { context in
        let namespaces = await context.informer(for: .namespaces)
        let accounts = await context.informer(for: .serviceAccounts)
        let queue = context.makeQueue()
        await namespaces.addHandler { event in
            if case .deleted = event { return }
            if let name = event.object[path: ["metadata", "name"]]?.stringValue {
                await queue.add(ObjectKey(namespace: nil, name: name))
            }
        }
        await accounts.addHandler { event in
            guard case .deleted(let account) = event,
                  account[path: ["metadata", "name"]]?.stringValue == DefaultServiceAccountSync.accountName,
                  let namespace = account[path: ["metadata", "namespace"]]?.stringValue else { return }
            await queue.add(ObjectKey(namespace: nil, name: namespace))
        }
        return context.runner(ServiceAccountsReconciler(sync: DefaultServiceAccountSync(client: context.client)),
                              queue: queue)
    }
}
