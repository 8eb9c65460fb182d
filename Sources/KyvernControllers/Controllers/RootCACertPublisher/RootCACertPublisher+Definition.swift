import KyvernAPI
import KyvernClient
import Logging

/// The `kube-root-ca.crt` reconciler keyed by namespace name.
struct RootCACertPublisherReconciler: Reconciler {
    let sync: RootCAConfigMapSync

    func reconcile(_ key: ObjectKey) async throws {
        try await sync.sync(namespace: key.name)
    }
}

enum RootCACertPublisher {
    /// A new or changed namespace, or a changed or deleted `kube-root-ca.crt`, queues the namespace.
    /// Without a CA to publish (a client configuration that names none) the controller does nothing.
    static let definition = ControllerDefinition(name: "root-ca-cert-publisher",
                                                 aliases: ["root-ca-certificate-publisher-controller"]) { context in
        let namespaces = await context.informer(for: .namespaces)
        let configMaps = await context.informer(for: .configMaps)
        let queue = context.makeQueue()
        let caPEM = context.options.rootCACertificatePEM ?? ""
        if caPEM.isEmpty {
            context.logger.warning("no cluster CA is known (the kubeconfig names none): kube-root-ca.crt is not published")
        } else {
            await namespaces.addHandler(for: CoreV1.Namespace.self) { event in
                if case .deleted = event { return }
                if let name = event.object.metadata.name {
                    await queue.add(ObjectKey(namespace: nil, name: name))
                }
            }
            await configMaps.addHandler(for: CoreV1.ConfigMap.self) { event in
                if case .added = event { return }
                guard event.object.metadata.name == RootCAConfigMapSync.configMapName,
                      let namespace = event.object.metadata.namespace else { return }
                await queue.add(ObjectKey(namespace: nil, name: namespace))
            }
        }
        let sync = RootCAConfigMapSync(client: context.client, namespaces: namespaces.lister, configMaps: configMaps.lister,
                                       caPEM: caPEM)
        return context.runner(RootCACertPublisherReconciler(sync: sync), queue: queue)
    }
}
