import KyvernAPI
import KyvernClient

extension HorizontalPodAutoscalerController {
    /// Wires the controller to autoscalers and pods: a new or changed autoscaler syncs at once,
    /// then every sync period (each sync queues the next).
    static let definition = ControllerDefinition(name: name, aliases: ["horizontal-pod-autoscaler-controller", "horizontalpodautoscaling-controller"]) { context in
        let autoscalerInformer = await context.informer(for: .horizontalPodAutoscalers)
        let podInformer = await context.informer(for: .pods)
        let queue = context.makeQueue()
        await autoscalerInformer.addHandler { event in
            switch event {
            case .updated(let old, let new):
                // Status writes come back as updates; only spec changes need a sync before the next period.
                if old[path: ["metadata", "generation"]] != new[path: ["metadata", "generation"]] { await queue.add(ObjectKey(new)) }
            default:
                await queue.add(ObjectKey(event.object))
            }
        }
        let recorder = EventRecorder(client: context.client, component: component, logger: context.logger)
        let controller = HorizontalPodAutoscalerController(
            client: context.client, autoscalers: autoscalerInformer.lister, pods: podInformer.lister, recorder: recorder,
            memory: AutoscalerMemory(), queue: queue, logger: context.logger,
            syncPeriod: context.options.horizontalPodAutoscalerSyncPeriod,
            downscaleStabilization: Int(context.options.horizontalPodAutoscalerDownscaleStabilization.components.seconds),
            calculator: ReplicaCalculator(tolerance: context.options.horizontalPodAutoscalerTolerance))
        return context.runner(controller, queue: queue, companions: [{ await recorder.run() }])
    }
}
