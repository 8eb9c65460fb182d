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
        await sliceInformer.addHandler { await ManagedSlices.route($0, index: sliceIndex, tracker: tracker, queue: queue) }
        var controller = EndpointSliceController(
            client: context.client, services: serviceInformer.lister, pods: podInformer.lister,
            slices: sliceInformer.lister, nodes: nodeInformer.lister, queue: queue, logger: context.logger)
        controller.tracker = tracker
        return context.runner(controller, queue: queue)
    }
}
