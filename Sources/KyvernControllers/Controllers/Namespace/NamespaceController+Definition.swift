import KyvernAPI
import KyvernClient

/// Empties terminating namespaces; one still waiting on its content is looked at again shortly.
struct NamespaceReconciler: Reconciler {
    let deleter: NamespaceContentDeleter
    let queue: ControllerQueue
    var retryDelay: Duration = .milliseconds(500)

    func reconcile(_ key: ObjectKey) async throws {
        if try await deleter.sync(namespace: key.name) == .waiting {
            await queue.addAfter(key, delay: retryDelay)
        }
    }
}

enum NamespaceController {
    static let definition = ControllerDefinition(name: "namespace", aliases: ["namespace-controller"]) { context in
        let namespaces = await context.informer(for: .namespaces)
        let queue = context.makeQueue()
        await namespaces.addHandler { event in
            let object = event.object
            guard object[path: ["metadata", "deletionTimestamp"]] != nil,
                  let name = object[path: ["metadata", "name"]]?.stringValue else { return }
            await queue.add(ObjectKey(namespace: nil, name: name))
        }
        let deleter = NamespaceContentDeleter(client: context.client, resources: { [discovery = APIDiscovery(client: context.client)] in
            let found = try await discovery.namespacedResources()
            return (found.resources.map(\.ref), found.failures)
        },
                                              logger: context.logger)
        return context.runner(NamespaceReconciler(deleter: deleter, queue: queue), queue: queue)
    }
}
