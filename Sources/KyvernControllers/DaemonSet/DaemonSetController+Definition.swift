import KyvernClient

extension DaemonSetController {
    /// Wires the controller to the shared DaemonSet, pod, node and ControllerRevision informers.
    static let definition = ControllerDefinition(name: name, aliases: ["daemonset-controller"]) { context in
        let dsInformer = await context.informer(for: .daemonSets)
        let podInformer = await context.informer(for: .pods, indexers: CacheIndex.indexers(DaemonSetController.podIndexes))
        let nodeInformer = await context.informer(for: .nodes)
        let revisionInformer = await context.informer(for: .controllerRevisions)
        let queue = context.makeQueue()
        let expectations = ControllerExpectations()
        let handlers = DaemonSetEventHandlers(daemonSets: dsInformer.lister, expectations: expectations, queue: queue)
        await dsInformer.addHandler { await handlers.daemonSetEvent($0) }
        await podInformer.addHandler { await handlers.podEvent($0) }
        await nodeInformer.addHandler { await handlers.nodeEvent($0) }
        await revisionInformer.addHandler { await handlers.revisionEvent($0) }
        let controller = DaemonSetController(
            client: context.client, daemonSets: dsInformer.lister, pods: podInformer.lister, nodes: nodeInformer.lister,
            revisions: revisionInformer.lister, expectations: expectations, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue, companions: [{ await controller.podControl.recorder.run() }])
    }
}
