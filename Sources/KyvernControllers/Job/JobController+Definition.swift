import KyvernClient

extension JobController {
    /// Wires the controller to the shared Job and pod informers.
    static let definition = ControllerDefinition(name: name, aliases: ["job-controller"]) { context in
        let jobInformer = await context.informer(for: .jobs)
        let podInformer = await context.informer(for: .pods, indexers: CacheIndex.indexers(JobController.podIndexes))
        let queue = context.makeQueue()
        let expectations = ControllerExpectations()
        let handlers = JobEventHandlers(jobs: jobInformer.lister, expectations: expectations, queue: queue)
        await jobInformer.addHandler { await handlers.jobEvent($0) }
        await podInformer.addHandler { await handlers.podEvent($0) }
        let controller = JobController(client: context.client, jobs: jobInformer.lister, pods: podInformer.lister,
                                       expectations: expectations, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue, companions: [{ await controller.recorder.run() }])
    }
}
