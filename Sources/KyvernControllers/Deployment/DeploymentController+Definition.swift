import KyvernClient

extension DeploymentController {
    /// Wires the controller to the shared Deployment, ReplicaSet and Pod informers.
    static let definition = ControllerDefinition(name: name, aliases: ["deployment-controller"]) { context in
        let deployments = await context.informer(for: .deployments)
        let replicaSets = await context.informer(for: .replicaSets)
        let pods = await context.informer(for: .pods)
        let queue = context.makeQueue()
        let controller = DeploymentController(client: context.client, deployments: deployments, replicaSets: replicaSets,
                                              pods: pods, queue: queue, logger: context.logger)
        await controller.registerHandlers { key in
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return }
            await queue.add(ObjectKey(namespace: parts[0], name: parts[1]))
        }
        return context.runner(controller, queue: queue, companions: [{ await controller.sync.events.run() }])
    }
}
