import KyvernAPI
import KyvernClient

extension EndpointSliceController {
    /// Wires the controller to the shared Service, pod, node and EndpointSlice informers.
    static let definition = ControllerDefinition(name: name, aliases: ["endpointslice-controller"]) { context in
        let serviceInformer = await context.informer(for: .services)
        let podInformer = await context.informer(for: .pods)
        let nodeInformer = await context.informer(for: .nodes)
        let sliceInformer = await context.informer(for: .endpointSlices, indexers: CacheIndex.indexers([sliceIndex]))
        let queue = context.makeQueue()
        let routing = ServiceEventRouting(services: serviceInformer.lister, queue: queue)
        await serviceInformer.addHandler { await routing.serviceEvent($0) }
        await podInformer.addHandler { await routing.podEvent($0) }
        await sliceInformer.addHandler { event in
            // A managed slice changed or went away (or someone took it over): its Service re-syncs.
            var keys = Set<String>()
            if case .updated(let old, let new) = event {
                if old.resourceVersion == new.resourceVersion { return }
                keys.formUnion(sliceIndex.indexer(old))
            }
            keys.formUnion(sliceIndex.indexer(event.object))
            for key in keys {
                let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                if parts.count == 2 { await queue.add(ObjectKey(namespace: parts[0], name: parts[1])) }
            }
        }
        let controller = EndpointSliceController(
            client: context.client, services: serviceInformer.lister, pods: podInformer.lister,
            slices: sliceInformer.lister, nodes: nodeInformer.lister, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
