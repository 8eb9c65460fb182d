import KyvernAPI
import KyvernClient
import Logging

/// Upstream's pv-protection controller: every volume carries `kubernetes.io/pv-protection`, and
/// a deleted volume keeps it while it is Bound to a claim.
struct VolumeProtectionController: Reconciler {
    static let name = "persistentvolume-protection"

    let client: any KubernetesClient
    let volumes: any ObjectCache
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws {
        guard let volume = await volumes.get(namespace: nil, name: key.name) else { return }
        let protected = volume.finalizers.contains(StorageAnnotations.volumeProtection)
        if volume.deletionTimestamp == nil {
            if !protected { try await setFinalizer(volume, present: true) }
            return
        }
        guard protected, volume[path: ["status", "phase"]]?.stringValue != "Bound" else { return }
        logger.info("volume no longer bound, removing its protection", metadata: ["volume": "\(key)"])
        try await setFinalizer(volume, present: false)
    }

    func setFinalizer(_ volume: JSONValue, present: Bool) async throws {
        try await FinalizerUpdate.set(StorageAnnotations.volumeProtection, present: present, on: volume, .persistentVolumes, client: client)
    }

    static let definition = ControllerDefinition(name: name, aliases: ["persistentvolume-protection-controller", "pv-protection"]) { context in
        let volumeInformer = await context.informer(for: .persistentVolumes)
        let queue = context.makeQueue()
        await volumeInformer.addHandler { event in
            if case .deleted = event { return }
            await queue.add(ObjectKey(namespace: nil, name: event.object.name ?? ""))
        }
        let controller = VolumeProtectionController(client: context.client, volumes: volumeInformer.lister, logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
