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
        await namespaces.addHandler(for: CoreV1.Namespace.self) { event in
            if case .deleted = event { return }
            if let name = event.object.metadata.name {
                await queue.add(ObjectKey(namespace: nil, name: name))
            }
        }
        await accounts.addHandler(for: CoreV1.ServiceAccount.self) { event in
            guard case .deleted(let account) = event, account.metadata.name == DefaultServiceAccountSync.accountName,
                  let namespace = account.metadata.namespace else { return }
            await queue.add(ObjectKey(namespace: nil, name: namespace))
        }
        return context.runner(ServiceAccountsReconciler(sync: DefaultServiceAccountSync(client: context.client)),
                              queue: queue)
    }
}
