import KyvernClient

extension StatefulSetController {
    /// Wires the controller to the shared StatefulSet, pod, PersistentVolumeClaim and ControllerRevision informers.
    static let definition = ControllerDefinition(name: name, aliases: ["statefulset-controller"]) { context in
        let setInformer = await context.informer(for: .statefulSets)
        let podInformer = await context.informer(for: .pods, indexers: CacheIndex.indexers(StatefulSetController.podIndexes))
        let claimInformer = await context.informer(for: .persistentVolumeClaims)
        let revisionInformer = await context.informer(for: .controllerRevisions)
        let queue = context.makeQueue()
        let expectations = ControllerExpectations()
        let handlers = StatefulSetEventHandlers(sets: setInformer.lister, expectations: expectations, queue: queue)
        await setInformer.addHandler { await handlers.setEvent($0) }
        await podInformer.addHandler { await handlers.podEvent($0) }
        await revisionInformer.addHandler { await handlers.ownedEvent($0) }
        let controller = StatefulSetController(
            client: context.client, sets: setInformer.lister, pods: podInformer.lister, claims: claimInformer.lister,
            revisions: revisionInformer.lister, expectations: expectations, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue, companions: [{ await controller.podControl.recorder.run() }])
    }
}
