import KyvernAPI
import KyvernClient

extension CronJobController {
    /// Wires the controller to the shared CronJob and Job informers: a Job's change looks at
    /// the CronJob that controls it.
    static let definition = ControllerDefinition(name: name, aliases: ["cronjob-controller"]) { context in
        let cronJobInformer = await context.informer(for: resource)
        let jobInformer = await context.informer(for: .jobs, indexers: CacheIndex.indexers([.ownerUID]))
        let queue = context.makeQueue()
        await cronJobInformer.addHandler { event in
            switch event {
            case .added(let cronJob), .updated(_, let cronJob), .deleted(let cronJob):
                await queue.add(ObjectKey(cronJob))
            }
        }
        await jobInformer.addHandler { event in
            let job: JSONValue
            switch event {
            case .added(let j), .updated(_, let j), .deleted(let j): job = j
            }
            guard let ref = ControllerRef(of: job), ref.kind == kind else { return }
            await queue.add(ObjectKey(namespace: job.namespace, name: ref.name))
        }
        let controller = CronJobController(client: context.client, cronJobs: cronJobInformer.lister,
                                           jobs: jobInformer.lister, queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue, companions: [{ await controller.recorder.run() }])
    }
}
