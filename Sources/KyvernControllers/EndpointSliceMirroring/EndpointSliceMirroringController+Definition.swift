import KyvernAPI
import KyvernClient

extension EndpointSliceMirroringController {
    /// Wires the controller to the shared Endpoints, Service and EndpointSlice informers. Keys are
    /// Endpoints (= Service) names; only events that can change what is mirrored queue one.
    static let definition = ControllerDefinition(name: name, aliases: ["endpointslice-mirroring-controller"]) { context in
        let endpointsInformer = await context.informer(for: endpointsResource)
        let serviceInformer = await context.informer(for: .services)
        let sliceInformer = await context.informer(for: .endpointSlices, indexers: CacheIndex.indexers([sliceIndex]))
        let queue = context.makeQueue()
        let tracker = SliceWriteTracker()
        await endpointsInformer.addHandler { event in
            switch event {
            case .added(let object), .deleted(let object):
                if MirrorShape.shouldMirror(object) { await queue.add(ObjectKey(object)) }
            case .updated(let old, let new):
                guard old.resourceVersion != new.resourceVersion,
                      MirrorShape.shouldMirror(old) || MirrorShape.shouldMirror(new) else { return }
                await queue.add(ObjectKey(new))
            }
        }
        await serviceInformer.addHandler { event in
            let selectorless = { (service: JSONValue) in ServiceFacts(service).selector == nil }
            switch event {
            case .added(let service), .deleted(let service):
                if selectorless(service) { await queue.add(ObjectKey(service)) }
            case .updated(let old, let new):
                if selectorless(old) != selectorless(new) { await queue.add(ObjectKey(new)) }
            }
        }
        await sliceInformer.addHandler { await ManagedSlices.route($0, index: sliceIndex, tracker: tracker, queue: queue) }
        var controller = EndpointSliceMirroringController(
            client: context.client, services: serviceInformer.lister, endpoints: endpointsInformer.lister,
            slices: sliceInformer.lister, queue: queue, logger: context.logger)
        controller.tracker = tracker
        let recorder = controller.recorder
        return context.runner(controller, queue: queue, companions: [{ await recorder.run() }])
    }
}
