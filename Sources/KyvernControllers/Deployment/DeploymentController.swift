import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// The deployment controller: informers on Deployments, ReplicaSets and Pods turn events into
/// Deployment keys; each key is synced by one ``DeploymentSync`` pass over the cached state.
///
/// Pods are read only for Recreate Deployments (whether old pods are gone), so a large cluster's
/// pod cache is not copied on every sync of a rolling Deployment.
final class DeploymentController: Reconciler {
    static let name = "deployment"

    let deployments: Informer
    let replicaSets: Informer
    let pods: Informer
    let sync: DeploymentSync
    let logger: Logger
    /// Where a stuck rollout is put back to notice its progress deadline; nil in tests that call
    /// ``reconcile(key:)`` directly.
    let queue: ControllerQueue?

    init(client: any KubernetesClient, deployments: Informer, replicaSets: Informer, pods: Informer,
         queue: ControllerQueue? = nil, logger: Logger = Logger(label: "kyvern.controllers.deployment")) {
        self.deployments = deployments
        self.replicaSets = replicaSets
        self.pods = pods
        self.queue = queue
        self.sync = DeploymentSync(client: client, logger: logger)
        self.logger = logger
    }

    func reconcile(_ key: ObjectKey) async throws {
        let delay: Duration?
        do {
            delay = try await reconcile(key: key.description)
        } catch where Self.isNamespaceTerminating(error) {
            // As upstream: nothing can be created there any more, and the namespace controller
            // deletes the Deployment; retrying would only repeat the refusal.
            logger.debug("namespace terminating; not retrying", metadata: ["key": "\(key)"])
            return
        }
        if let delay { await queue?.addAfter(key, delay: delay) }
    }

    /// The refusal of a create in a terminating namespace (the API server's `NamespaceTerminating` cause).
    static func isNamespaceTerminating(_ error: any Error) -> Bool {
        (error as? APIError)?.details?.causes.contains { $0.type == "NamespaceTerminating" } ?? false
    }

    /// Wires the informers' events to `enqueue` (a Deployment key, `namespace/name`).
    func registerHandlers(enqueue: @escaping @Sendable (String) async -> Void) async {
        await deployments.addHandler { event in
            await enqueue(DeploymentEventRouting.key(event.object))
        }
        let deploymentLister = deployments.lister
        await replicaSets.addHandler { event in
            let inNamespace = await deploymentLister.list(namespace: event.object.namespace)
            for key in DeploymentEventRouting.keys(forReplicaSet: event, deployments: inNamespace) {
                await enqueue(key)
            }
        }
        let replicaSetLister = replicaSets.lister
        await pods.addHandler { event in
            guard case .deleted(let pod) = event else { return }
            let namespace = pod.namespace
            let key = DeploymentEventRouting.keyForDeletedPod(pod, replicaSets: await replicaSetLister.list(namespace: namespace),
                                                             deployments: await deploymentLister.list(namespace: namespace))
            if let key { await enqueue(key) }
        }
    }

    /// Syncs the Deployment `key` names; returns when to look again without an event, if ever.
    func reconcile(key: String) async throws -> Duration? {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        guard let deployment = await deployments.lister.get(namespace: parts[0], name: parts[1]) else {
            logger.debug("deployment gone", metadata: ["namespace": "\(parts[0])", "name": "\(parts[1])"])
            return nil
        }
        let replicaSets = await replicaSets.lister.list(namespace: parts[0])
        let isRecreate = deployment[path: ["spec", "strategy", "type"]]?.stringValue == "Recreate"
        let pods = isRecreate ? await pods.lister.list(namespace: parts[0]) : []
        return try await sync.sync(deployment: deployment, replicaSets: replicaSets, pods: pods).recheckAfter
    }
}
