import KyvernAPI
import KyvernClient

extension NodeLifecycleController {
    /// Wires the controller to the node and Lease informers. Every `--node-monitor-period` all
    /// zone states are recomputed and every node is checked (upstream's monitor pass); between
    /// passes a node is checked when its Ready status, taints or `unschedulable` change, and a
    /// not-ready node when its Lease is renewed, so recovery is seen at once.
    static let definition = ControllerDefinition(name: name, aliases: ["node-lifecycle-controller"]) { context in
        let nodeInformer = await context.informer(for: .nodes)
        let leaseInformer = await context.informer(for: .leases)
        let podInformer = await context.informer(for: .pods, indexers: CacheIndex.indexers([.nodeName]))
        let queue = context.makeQueue()
        let controller = NodeLifecycleController(client: context.client, nodes: nodeInformer.lister,
                                                 leases: leaseInformer.lister, pods: podInformer.lister,
                                                 options: context.options,
                                                 queue: queue, logger: context.logger)
        await nodeInformer.addHandler { event in
            switch event {
            case .added(let node), .deleted(let node):
                await queue.add(ObjectKey(node))
            case .updated(let old, let new):
                if NodeConditions.readyStatus(old) != NodeConditions.readyStatus(new)
                    || NodeTaints.taints(of: old) != NodeTaints.taints(of: new)
                    || NodeTaints.desiredNoSchedule(old) != NodeTaints.desiredNoSchedule(new) {
                    await queue.add(ObjectKey(new))
                }
            }
        }
        await leaseInformer.addHandler { event in
            guard case .updated(_, let lease) = event, lease.namespace == leaseNamespace,
                  let node = await nodeInformer.lister.get(name: lease.name ?? ""),
                  NodeConditions.readyStatus(node) != "True" else { return }
            await queue.add(ObjectKey(node))
        }
        let monitor: @Sendable () async -> Void = {
            while !Task.isCancelled {
                await controller.refreshZones()
                for node in await nodeInformer.lister.list() { await queue.add(ObjectKey(node)) }
                try? await Task.sleep(for: context.options.nodeMonitorPeriod)
            }
        }
        return context.runner(controller, queue: queue, companions: [{ await controller.recorder.run() }, monitor])
    }
}
