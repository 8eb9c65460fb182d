import KyvernClient

extension ReplicaSetController {
    /// Wires the controller to the shared pod and ReplicaSet informers.
    static let definition = ControllerDefinition(name: name, aliases: ["replicaset-controller"]) { context in
        let rsInformer = await context.informer(for: .replicaSets)
        let podInformer = await context.informer(for: .pods, indexers: CacheIndex.indexers(ReplicaSetController.podIndexes))
        let queue = context.makeQueue()
        let expectations = ControllerExpectations()
        let handlers = ReplicaSetEventHandlers(replicaSets: rsInformer.lister, expectations: expectations, queue: queue)
        await rsInformer.addHandler { await handlers.replicaSetEvent($0) }
        await podInformer.addHandler { await handlers.podEvent($0) }
        let controller = ReplicaSetController(
            client: context.client, replicaSets: rsInformer.lister, pods: podInformer.lister,
            expectations: expectations, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue, companions: [{ await controller.podControl.recorder.run() }])
    }
}
