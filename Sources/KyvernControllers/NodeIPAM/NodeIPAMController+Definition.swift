import KyvernAPI
import KyvernClient

extension NodeIPAMController {
    /// Wires the controller to the shared node informer; only nodes without a range, and deleted
    /// nodes, are queued, so status heartbeats cost nothing.
    static let definition = ControllerDefinition(name: name, aliases: ["node-ipam-controller"]) { context in
        let cidr = try ClusterCIDR(parsing: context.options.clusterCIDR)
        let nodeInformer = await context.informer(for: .nodes)
        let queue = context.makeQueue()
        await nodeInformer.addHandler { event in
            switch event {
            case .added(let node):
                await queue.add(ObjectKey(node))
            case .updated(let old, let new):
                if podCIDR(of: new) == nil || podCIDR(of: old) != podCIDR(of: new) { await queue.add(ObjectKey(new)) }
            case .deleted(let node):
                await queue.add(ObjectKey(node))
            }
        }
        let controller = NodeIPAMController(client: context.client, nodes: nodeInformer.lister, cidr: cidr,
                                            logger: context.logger)
        return context.runner(controller, queue: queue, companions: [{ await controller.recorder.run() }])
    }
}
