import KyvernAPI
import KyvernClient

extension EndpointsController {
    /// Wires the controller to the shared Service, pod and Endpoints informers.
    static let definition = ControllerDefinition(name: name, aliases: ["endpoints-controller", "endpoint"]) { context in
        let serviceInformer = await context.informer(for: .services)
        let podInformer = await context.informer(for: .pods)
        let endpointsInformer = await context.informer(for: resource)
        let queue = context.makeQueue()
        let routing = ServiceEventRouting(services: serviceInformer.lister, queue: queue)
        await serviceInformer.addHandler { await routing.serviceEvent($0) }
        await podInformer.addHandler { await routing.podEvent($0) }
        await endpointsInformer.addHandler { event in
            switch event {
            case .deleted(let endpoints):
                // Deleted Endpoints of a Service are recreated.
                await queue.add(ObjectKey(endpoints))
            case .added(let endpoints) where endpoints.labels[managedByLabel] == controllerName:
                // Seen at start-up: ours whose Service was deleted while we were down are removed
                // (upstream's check for leftover Endpoints).
                await queue.add(ObjectKey(endpoints))
            default:
                break
            }
        }
        let controller = EndpointsController(
            client: context.client, services: serviceInformer.lister, pods: podInformer.lister,
            endpoints: endpointsInformer.lister, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
