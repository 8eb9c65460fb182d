import KyvernAPI
import KyvernClient

extension TaintEvictionController {
    /// Wires the controller to the pod and node informers: a bound pod is checked when it changes,
    /// and every pod of a node when the node's NoExecute taints change.
    static let definition = ControllerDefinition(name: name, aliases: ["taint-eviction-controller"]) { context in
        let nodeInformer = await context.informer(for: .nodes)
        let podInformer = await context.informer(for: .pods, indexers: [Indexers.nodeNameName: Indexers.nodeName])
        let queue = context.makeQueue()
        let controller = TaintEvictionController(client: context.client, pods: podInformer.lister,
                                                 nodes: nodeInformer.lister, queue: queue, logger: context.logger)
        await podInformer.addHandler { event in
            guard case let pod = event.object, !PodState.nodeName(pod).isEmpty, pod.deletionTimestamp == nil else { return }
            if case .deleted = event { return }
            await queue.add(ObjectKey(pod))
        }
        await nodeInformer.addHandler { event in
            let node = event.object
            switch event {
            case .deleted: return
            case .added: guard !NoExecuteTolerance.noExecuteTaints(of: node).isEmpty else { return }
            case .updated(let old, _):
                guard NoExecuteTolerance.noExecuteTaints(of: old) != NoExecuteTolerance.noExecuteTaints(of: node) else { return }
            }
            for pod in await podInformer.lister.byIndex(Indexers.nodeNameName, node.name ?? "") {
                await queue.add(ObjectKey(pod))
            }
        }
        return context.runner(controller, queue: queue, companions: [{ await controller.recorder.run() }])
    }
}
