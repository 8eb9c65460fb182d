import KyvernAPI
import KyvernClient

extension DisruptionController {
    /// Wires the controller to budgets, pods and the controllers whose scale sets expected counts:
    /// a pod change queues the budgets of its namespace that select it.
    static let definition = ControllerDefinition(name: name, aliases: ["disruption-controller"]) { context in
        let budgetInformer = await context.informer(for: .podDisruptionBudgets)
        let podInformer = await context.informer(for: .pods)
        let rsInformer = await context.informer(for: .replicaSets)
        let deploymentInformer = await context.informer(for: .deployments)
        let statefulSetInformer = await context.informer(for: .statefulSets)
        let queue = context.makeQueue()
        await budgetInformer.addHandler { event in
            if case .deleted = event { return }
            await queue.add(ObjectKey(event.object))
        }
        @Sendable func budgetsSelecting(_ pod: JSONValue) async {
            for pdb in await budgetInformer.lister.list(namespace: pod.namespace) {
                guard let selector = try? LabelSelector(labelSelector: pdb[path: ["spec", "selector"]] ?? [:]),
                      selector.matches(labelsOf: pod) else { continue }
                await queue.add(ObjectKey(pdb))
            }
        }
        await podInformer.addHandler { event in
            if case .updated(let old, _) = event { await budgetsSelecting(old) }
            await budgetsSelecting(event.object)
        }
        let controller = DisruptionController(
            client: context.client, budgets: budgetInformer.lister, pods: podInformer.lister,
            replicaSets: rsInformer.lister, deployments: deploymentInformer.lister, statefulSets: statefulSetInformer.lister,
            queue: queue, logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
