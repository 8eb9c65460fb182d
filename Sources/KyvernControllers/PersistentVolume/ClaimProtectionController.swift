import KyvernAPI
import KyvernClient
import Logging

/// Upstream's pvc-protection controller: every claim carries `kubernetes.io/pvc-protection`,
/// and a deleted claim keeps it, and so stays Terminating, while a pod that is not finished
/// still uses it.
struct ClaimProtectionController: Reconciler {
    static let name = "persistentvolumeclaim-protection"

    let client: any KubernetesClient
    let claims: any ObjectCache
    let pods: any ObjectCache
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws {
        guard let claim = await claims.get(namespace: key.namespace, name: key.name) else { return }
        let protected = claim.finalizers.contains(StorageAnnotations.claimProtection)
        if claim.deletionTimestamp == nil {
            if !protected { try await setFinalizer(claim, present: true) }
            return
        }
        guard protected else { return }
        // The cache may not have seen a pod just created; confirm with a live list before letting go.
        if await Self.isInUse(claim, pods: await pods.list(namespace: key.namespace)) { return }
        let live = try await client.list(.pods, namespace: key.namespace)["items"]?.arrayValue ?? []
        if Self.isInUse(claim, pods: live) { return }
        logger.info("claim no longer in use, removing its protection", metadata: ["claim": "\(key)"])
        try await setFinalizer(claim, present: false)
    }

    func setFinalizer(_ claim: JSONValue, present: Bool) async throws {
        try await FinalizerUpdate.set(StorageAnnotations.claimProtection, present: present, on: claim, .persistentVolumeClaims, client: client)
    }

    /// A pod uses the claim while it is not Succeeded or Failed and a volume names the claim
    /// (directly, or as the claim of a generic ephemeral volume, `<pod>-<volume>`).
    static func isInUse(_ claim: JSONValue, pods: [JSONValue]) -> Bool {
        pods.contains { pod in
            guard pod.namespace == claim.namespace, !isFinished(pod) else { return false }
            return claimNames(of: pod).contains(claim.name ?? "")
        }
    }

    static func isFinished(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// The claims a pod's volumes name.
    static func claimNames(of pod: JSONValue) -> [String] {
        (pod[path: ["spec", "volumes"]]?.arrayValue ?? []).compactMap { volume in
            if let name = volume[path: ["persistentVolumeClaim", "claimName"]]?.stringValue { return name }
            if volume["ephemeral"] != nil, let podName = pod.name, let volumeName = volume["name"]?.stringValue {
                return "\(podName)-\(volumeName)"
            }
            return nil
        }
    }

    static let definition = ControllerDefinition(name: name, aliases: ["persistentvolumeclaim-protection-controller", "pvc-protection"]) { context in
        let claimInformer = await context.informer(for: .persistentVolumeClaims)
        let podInformer = await context.informer(for: .pods)
        let queue = context.makeQueue()
        await claimInformer.addHandler { event in
            if case .deleted = event { return }
            await queue.add(ObjectKey(event.object))
        }
        // A pod finishing or going releases its claims.
        await podInformer.addHandler { event in
            let pod = event.object
            switch event {
            case .added: return
            case .updated(let old, _) where isFinished(old) || !isFinished(pod): return
            default: break
            }
            for claim in claimNames(of: pod) { await queue.add(ObjectKey(namespace: pod.namespace, name: claim)) }
        }
        let controller = ClaimProtectionController(client: context.client, claims: claimInformer.lister,
                                                   pods: podInformer.lister, logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
