public import KyvernAPI
import KyvernClient

extension ProvisioningController {
    /// The provisioner of one node, for a node agent's own small controller manager (it is not in
    /// ``ControllerCatalog``: the cluster-wide manager has no node). `defaultClass`, when given, is
    /// created at start unless a class of that name exists.
    static func definition(provisioner: any VolumeProvisioner, nodeName: String,
                           defaultClass: JSONValue? = nil) -> ControllerDefinition {
        ControllerDefinition(name: name) { context in
            if let defaultClass { try await ensureStorageClass(defaultClass, client: context.client) }
            let claimInformer = await context.informer(for: .persistentVolumeClaims)
            let volumeInformer = await context.informer(for: .persistentVolumes)
            let classInformer = await context.informer(for: .storageClasses)
            let queue = context.makeQueue()
            let claims = claimInformer.lister
            await claimInformer.addHandler { event in
                if case .deleted = event { return }
                await queue.add(ObjectKey(event.object))
            }
            await volumeInformer.addHandler { event in
                if case .deleted = event { return }
                await queue.add(ObjectKey(namespace: nil, name: event.object.name ?? ""))
            }
            // A class created after its claims lets them go on.
            await classInformer.addHandler { event in
                guard case .added(let storageClass) = event else { return }
                for claim in await claims.list(namespace: nil)
                where VolumeMatching.storageClass(ofClaim: claim) == storageClass.name {
                    await queue.add(ObjectKey(claim))
                }
            }
            let recorder = EventRecorder(client: context.client, component: component, logger: context.logger)
            let controller = ProvisioningController(
                client: context.client, provisioner: provisioner, nodeName: nodeName, claims: claims,
                volumes: volumeInformer.lister, classes: classInformer.lister, recorder: recorder, logger: context.logger)
            return context.runner(controller, queue: queue, companions: [{ await recorder.run() }])
        }
    }

    /// Creates the class unless one of its name exists (a user's edit or deletion of the default
    /// is theirs to keep until the next start, as k3s re-applies its manifests).
    static func ensureStorageClass(_ storageClass: JSONValue, client: any KubernetesClient) async throws {
        do {
            _ = try await client.create(.storageClasses, storageClass)
        } catch let error as APIError where error.code == 409 {
            return
        }
    }
}

extension ControllerDefinition {
    /// A node's volume provisioner (see ``VolumeProvisioner``), for the node agent's own manager.
    public static func volumeProvisioner(_ provisioner: any VolumeProvisioner, nodeName: String,
                                         defaultClass: JSONValue? = nil) -> ControllerDefinition {
        ProvisioningController.definition(provisioner: provisioner, nodeName: nodeName, defaultClass: defaultClass)
    }
}

extension LocalPathProvisioner {
    /// The default StorageClass `local-path`, as k3s ships it but with Kyvern's provisioner name.
    public static let defaultStorageClass: JSONValue = [
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": ["name": "local-path", "annotations": [StorageAnnotations.isDefaultClass: "true"]],
        "provisioner": .string(provisionerName),
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": true,
    ]
}
