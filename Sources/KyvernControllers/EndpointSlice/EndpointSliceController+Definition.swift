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
        let tracker = SliceWriteTracker()
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
                guard parts.count == 2 else { continue }
                let service = ObjectKey(namespace: parts[0], name: parts[1])
                if case .deleted(let slice) = event, let name = slice.name {
                    await tracker.observedDeletion(of: name, service: service)
                }
                await queue.add(service)
            }
        }
        var controller = EndpointSliceController(
            client: context.client, services: serviceInformer.lister, pods: podInformer.lister,
            slices: sliceInformer.lister, nodes: nodeInformer.lister, queue: queue, logger: context.logger)
        controller.tracker = tracker
        return context.runner(controller, queue: queue)
    }
}
