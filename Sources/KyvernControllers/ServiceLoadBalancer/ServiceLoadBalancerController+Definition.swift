import KyvernAPI
import KyvernClient

extension ServiceLoadBalancerController {
    /// Wires the controller to Services and nodes. Any Service change may free or need an address;
    /// node changes matter only when Services share the nodes' addresses.
    static let definition = ControllerDefinition(name: name, aliases: ["service", "servicelb"]) { context in
        let serviceInformer = await context.informer(for: .services)
        let nodeInformer = await context.informer(for: .nodes)
        let queue = context.makeQueue()
        let pool = context.options.loadBalancerAddressPool
        await serviceInformer.addHandler { event in
            if case .updated(let old, let new) = event,
               !LoadBalancerPlan.isOurs(old), !LoadBalancerPlan.isOurs(new),
               LoadBalancerPlan.currentIPs(new).isEmpty {
                return
            }
            if case .added(let service) = event, !LoadBalancerPlan.isOurs(service),
               LoadBalancerPlan.currentIPs(service).isEmpty {
                return
            }
            await queue.add(everything)
        }
        if pool.isEmpty {
            await nodeInformer.addHandler { event in
                if case .updated(let old, let new) = event,
                   LoadBalancerPlan.nodeAddresses([old]) == LoadBalancerPlan.nodeAddresses([new]) {
                    return
                }
                await queue.add(everything)
            }
        }
        let recorder = EventRecorder(client: context.client, component: component, logger: context.logger)
        let controller = ServiceLoadBalancerController(
            client: context.client, services: serviceInformer.lister, nodes: nodeInformer.lister, pool: pool,
            recorder: recorder, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue, companions: [{ await recorder.run() }])
    }
}
