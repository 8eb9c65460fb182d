import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Deletes pods from nodes with NoExecute taints they do not tolerate, at once or after their
/// `tolerationSeconds` (upstream's taint eviction controller). The pod first gets the
/// `DisruptionTarget` condition, then a normal graceful delete, so its controller replaces it.
struct TaintEvictionController: Reconciler {
    static let name = "tainteviction"
    static let component = "taint-eviction-controller"

    let client: any KubernetesClient
    let pods: any ObjectCache
    let nodes: any ObjectCache
    let queue: ControllerQueue?
    let recorder: EventRecorder
    let logger: Logger
    let now: @Sendable () -> Date

    init(client: any KubernetesClient, pods: any ObjectCache, nodes: any ObjectCache, queue: ControllerQueue?,
         logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.pods = pods
        self.nodes = nodes
        self.queue = queue
        self.logger = logger
        self.now = now
        self.recorder = EventRecorder(client: client, component: Self.component, logger: logger)
    }

    func reconcile(_ key: ObjectKey) async throws {
        guard let pod = await pods.get(namespace: key.namespace, name: key.name), pod.deletionTimestamp == nil else { return }
        let nodeName = PodState.nodeName(pod)
        guard !nodeName.isEmpty, let node = await nodes.get(namespace: nil, name: nodeName) else { return }
        let taints = NoExecuteTolerance.noExecuteTaints(of: node)
        guard !taints.isEmpty else { return }
        let now = now()
        guard let deadline = NoExecuteTolerance.of(pod: pod, taints: taints).deadline(taints: taints, now: now) else { return }
        if deadline > now {
            await queue?.addAfter(key, delay: .milliseconds(Int64((deadline.timeIntervalSince(now) * 1000).rounded(.up)) + 10))
            return
        }
        try await evict(pod, now: now)
    }

    func evict(_ pod: JSONValue, now: Date) async throws {
        let namespace = pod.namespace ?? ""
        let name = pod.name ?? ""
        await recorder.normal(pod, reason: "TaintManagerEviction", message: "Marking for deletion Pod \(namespace)/\(name)")
        let condition: JSONValue = ["type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                                    "message": "Taint manager: deleting due to NoExecute taint",
                                    "lastTransitionTime": .string(Timestamp.format(now))]
        do {
            _ = try await client.patch(.pods, namespace: namespace, name: name, subresource: "status", type: .strategicMerge,
                                       ["status": ["conditions": [condition]]], options: WriteOptions())
            try await client.delete(.pods, namespace: namespace, name: name,
                                    options: DeleteOptions(preconditionUID: pod.uid))
            logger.info("evicted pod from tainted node", metadata: ["pod": "\(namespace)/\(name)",
                                                                    "node": "\(PodState.nodeName(pod))"])
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            return
        }
    }
}
