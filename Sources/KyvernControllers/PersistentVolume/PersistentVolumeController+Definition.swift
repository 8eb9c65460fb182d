import KyvernAPI
import KyvernClient

extension PersistentVolumeController {
    /// How often every claim and volume is looked at again (upstream's `--pvclaimbinder-sync-period`).
    static let resyncPeriod = Duration.seconds(15)

    /// Claims and volumes enqueue themselves and their partner; a new or freed volume also wakes
    /// every claim still waiting, and a new StorageClass the claims of that class.
    static let definition = ControllerDefinition(name: name, aliases: ["persistentvolume-binder-controller"]) { context in
        let claimInformer = await context.informer(for: .persistentVolumeClaims)
        let volumeInformer = await context.informer(for: .persistentVolumes)
        let classInformer = await context.informer(for: .storageClasses)
        let nodeInformer = await context.informer(for: .nodes)
        let queue = context.makeQueue()
        let ownWrites = OwnWrites()
        let claims = ownWrites.cache(claimInformer.lister, of: .persistentVolumeClaims)
        let volumes = ownWrites.cache(volumeInformer.lister, of: .persistentVolumes)
        @Sendable func wakeWaitingClaims(ofClass className: String? = nil) async {
            for claim in await claims.list(namespace: nil) where claim[path: ["status", "phase"]]?.stringValue != "Bound" {
                if let className, VolumeMatching.storageClass(ofClaim: claim) != className { continue }
                await queue.add(ObjectKey(claim))
            }
        }
        await claimInformer.addHandler { event in
            let claim = event.object
            await queue.add(ObjectKey(claim))
            if let volume = claim[path: ["spec", "volumeName"]]?.stringValue, !volume.isEmpty {
                await queue.add(ObjectKey(namespace: nil, name: volume))
            }
            if case .deleted = event {
                // Its volume is released: find it by claimRef even if the claim never named it.
                for volume in await volumes.list(namespace: nil)
                where volume[path: ["spec", "claimRef", "uid"]]?.stringValue == claim.uid {
                    await queue.add(ObjectKey(volume))
                }
            }
        }
        await volumeInformer.addHandler { event in
            let volume = event.object
            await queue.add(ObjectKey(namespace: nil, name: volume.name ?? ""))
            if let namespace = volume[path: ["spec", "claimRef", "namespace"]]?.stringValue,
               let claim = volume[path: ["spec", "claimRef", "name"]]?.stringValue {
                await queue.add(ObjectKey(namespace: namespace, name: claim))
            }
            if case .deleted = event { return }
            if volume[path: ["spec", "claimRef"]]?.objectValue == nil { await wakeWaitingClaims() }
        }
        await classInformer.addHandler { event in
            if case .added(let storageClass) = event { await wakeWaitingClaims(ofClass: storageClass.name ?? "") }
        }
        let recorder = EventRecorder(client: context.client, component: component, logger: context.logger)
        let controller = PersistentVolumeController(
            client: context.client, claims: claims, volumes: volumes, classes: classInformer.lister,
            nodes: nodeInformer.lister, recorder: recorder, logger: context.logger, ownWrites: ownWrites)
        let resync: @Sendable () async -> Void = {
            while !Task.isCancelled {
                try? await Task.sleep(for: resyncPeriod)
                for claim in await claims.list(namespace: nil) { await queue.add(ObjectKey(claim)) }
                for volume in await volumes.list(namespace: nil) { await queue.add(ObjectKey(namespace: nil, name: volume.name ?? "")) }
            }
        }
        return context.runner(controller, queue: queue, companions: [{ await recorder.run() }, resync])
    }
}
