import KyvernAPI
import KyvernClient
import Logging

extension ProvisioningController {
    /// Provisions for an unbound claim of this provisioner's class whose node is this one: one the
    /// binder handed over (its `storage-provisioner` annotation), or one the scheduler placed here
    /// (selected-node, which it sets only when no existing volume fits). The latter is not kept
    /// waiting for the hand-over, which the binder writes anyway: one watch round trip less.
    func provisionIfMine(_ claim: JSONValue) async throws {
        let handedTo = claim.annotations[StorageAnnotations.storageProvisioner]
        let placed = claim.annotations[StorageAnnotations.selectedNode] != nil
        guard handedTo == provisioner.name || (handedTo == nil && placed),
              let storageClass = await storageClass(named: VolumeMatching.storageClass(ofClaim: claim)),
              storageClass["provisioner"]?.stringValue == provisioner.name else { return }
        let selected = claim.annotations[StorageAnnotations.selectedNode]
        if let selected, selected != nodeName { return }
        if selected == nil && storageClass["volumeBindingMode"]?.stringValue == "WaitForFirstConsumer" { return }
        let name = Self.volumeName(for: claim)
        if await volumes.get(namespace: nil, name: name) != nil { return }
        let key = ObjectKey(claim).description
        await recorder.normal(claim, reason: "Provisioning", message: "External provisioner is provisioning volume for claim \"\(key)\"")
        do {
            let source = try await cloneSource(of: claim)
            let request = ProvisionRequest(volumeName: name, claim: claim, storageClass: storageClass, node: nodeName,
                                           sourceVolume: source)
            let made = try await provisioner.provision(request)
            let volume = Self.volume(named: name, for: claim, storageClass: storageClass, made: made,
                                     provisioner: provisioner.name)
            do {
                _ = try await client.create(.persistentVolumes, volume)
            } catch let error as APIError where error.code == 409 {
                // Another node won an Immediate claim; its volume stands, this storage goes.
                let existing = try? await client.get(.persistentVolumes, name: name)
                if existing.map(owns) != true { try? await provisioner.delete(volume) }
                return
            }
            logger.info("volume provisioned", metadata: ["claim": "\(key)", "volume": "\(name)", "node": "\(nodeName)"])
            await recorder.normal(claim, reason: "ProvisioningSucceeded", message: "Successfully provisioned volume \(name)")
        } catch let error as ProvisioningError {
            await recorder.warning(claim, reason: "ProvisioningFailed",
                                   message: "failed to provision volume with StorageClass \"\(storageClass.name ?? "")\": \(error.message)")
            throw error
        }
    }

    /// The bound volume of the claim a clone copies, which must live on this node.
    func cloneSource(of claim: JSONValue) async throws -> JSONValue? {
        let dataSource = claim[path: ["spec", "dataSourceRef"]] ?? claim[path: ["spec", "dataSource"]]
        guard let dataSource, dataSource.objectValue != nil else { return nil }
        guard dataSource["kind"]?.stringValue == "PersistentVolumeClaim", (dataSource["apiGroup"]?.stringValue ?? "").isEmpty else {
            throw ProvisioningError("data source \(dataSource["kind"]?.stringValue ?? "") is not supported, only PersistentVolumeClaim")
        }
        let sourceName = dataSource["name"]?.stringValue ?? ""
        guard let source = await claims.get(namespace: claim.namespace, name: sourceName) else {
            throw ProvisioningError("source claim \"\(sourceName)\" not found")
        }
        guard source[path: ["status", "phase"]]?.stringValue == "Bound",
              let volumeName = source[path: ["spec", "volumeName"]]?.stringValue,
              let volume = await volumes.get(namespace: nil, name: volumeName) else {
            throw ProvisioningError("source claim \"\(sourceName)\" is not bound")
        }
        if VolumeMatching.storageClass(ofClaim: source) != VolumeMatching.storageClass(ofClaim: claim) {
            throw ProvisioningError("source claim \"\(sourceName)\" has a different storage class")
        }
        if VolumeMatching.requestedSize(claim) < VolumeMatching.capacity(volume) {
            throw ProvisioningError("requested volume size is smaller than the source claim \"\(sourceName)\"")
        }
        let sourceNode = VolumeMatching.pinnedNode(volume) ?? ""
        guard sourceNode == nodeName else {
            throw ProvisioningError("source claim \"\(sourceName)\" is on node \"\(sourceNode)\", not on \"\(nodeName)\"; a clone must be on the same node")
        }
        return volume
    }

    /// The PersistentVolume for a provisioned claim, pre-bound to it so only it can bind it.
    static func volume(named name: String, for claim: JSONValue, storageClass: JSONValue, made: ProvisionedVolume,
                       provisioner: String) -> JSONValue {
        var spec: [String: JSONValue] = made.source
        spec["capacity"] = ["storage": claim[path: ["spec", "resources", "requests", "storage"]] ?? "0"]
        spec["accessModes"] = claim[path: ["spec", "accessModes"]] ?? ["ReadWriteOnce"]
        spec["persistentVolumeReclaimPolicy"] = .string(storageClass["reclaimPolicy"]?.stringValue ?? "Delete")
        spec["storageClassName"] = .string(storageClass.name ?? "")
        spec["volumeMode"] = claim[path: ["spec", "volumeMode"]] ?? "Filesystem"
        if let options = storageClass["mountOptions"] { spec["mountOptions"] = options }
        if let affinity = made.nodeAffinity { spec["nodeAffinity"] = affinity }
        spec["claimRef"] = [
            "kind": "PersistentVolumeClaim", "apiVersion": "v1",
            "namespace": .string(claim.namespace ?? ""), "name": .string(claim.name ?? ""),
            "uid": .string(claim.uid ?? ""), "resourceVersion": .string(claim.resourceVersion ?? ""),
        ]
        return [
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": ["name": .string(name), "annotations": [StorageAnnotations.provisionedBy: .string(provisioner)]],
            "spec": .object(spec),
        ]
    }
}
