import KyvernAPI
import KyvernClient
import Logging

extension ProvisioningController {
    /// A volume this provisioner made on this node, Released with reclaim Delete: its storage goes,
    /// then the object.
    func deleteIfReleased(_ volume: JSONValue) async throws {
        guard owns(volume), volume.deletionTimestamp == nil,
              volume[path: ["status", "phase"]]?.stringValue == "Released",
              volume[path: ["spec", "persistentVolumeReclaimPolicy"]]?.stringValue == "Delete" else { return }
        do {
            try await provisioner.delete(volume)
        } catch let error as ProvisioningError {
            await recorder.warning(volume, reason: "VolumeFailedDelete", message: error.message)
            throw error
        }
        logger.info("released volume deleted", metadata: ["volume": "\(volume.name ?? "")"])
        do {
            _ = try await client.delete(.persistentVolumes, name: volume.name ?? "",
                                        options: DeleteOptions(preconditionUID: volume.uid))
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            return
        }
    }

    /// A bound claim asking for more than its volume has (the API server admitted the growth
    /// only for classes that allow expansion): the backend grows the storage, the volume's
    /// capacity and then the claim's status record it, as upstream's resizer does.
    func expandIfMine(_ claim: JSONValue) async throws {
        guard let volumeName = claim[path: ["spec", "volumeName"]]?.stringValue,
              let volume = await volumes.get(namespace: nil, name: volumeName), owns(volume),
              claim[path: ["status", "phase"]]?.stringValue == "Bound" else { return }
        let requested = VolumeMatching.requestedSize(claim)
        let recorded = VolumeMatching.quantity(claim[path: ["status", "capacity", "storage"]])
        let allocated = claim[path: ["status", "allocatedResources", "storage"]].map(VolumeMatching.quantity)
        // Grown past what the claim records, or recorded without its allocation (an interrupted resize).
        guard requested > recorded || (allocated.map { $0 < requested } ?? (recorded < requested)) else { return }
        let storageClass = await storageClass(named: VolumeMatching.storageClass(ofClaim: claim))
        guard storageClass?["allowVolumeExpansion"]?.boolValue == true else { return }
        var current = volume
        if VolumeMatching.capacity(volume) < requested {
            await recorder.normal(claim, reason: "Resizing", message: "External resizer is resizing volume \(volumeName)")
            let size: Quantity
            do {
                size = try await provisioner.expand(volume, to: requested)
            } catch let error as ProvisioningError {
                await recorder.warning(claim, reason: "VolumeResizeFailed", message: "resize volume \"\(volumeName)\" by resizer \"\(provisioner.name)\" failed: \(error.message)")
                throw error
            }
            var grown = volume
            grown[path: ["spec", "capacity", "storage"]] = .string(size.description)
            current = try await client.update(.persistentVolumes, grown)
        }
        var resized = claim
        let capacity = current[path: ["spec", "capacity", "storage"]] ?? .string(requested.description)
        resized[path: ["status", "capacity", "storage"]] = capacity
        resized[path: ["status", "allocatedResources", "storage"]] = capacity
        resized[path: ["status", "allocatedResourceStatuses"]] = nil
        if let conditions = resized[path: ["status", "conditions"]]?.arrayValue {
            let kept = conditions.filter { !["Resizing", "FileSystemResizePending"].contains($0["type"]?.stringValue ?? "") }
            if kept.isEmpty {
                resized[path: ["status", "conditions"]] = JSONValue?.none
            } else {
                resized[path: ["status", "conditions"]] = .array(kept)
            }
        }
        do {
            _ = try await client.updateStatus(.persistentVolumeClaims, namespace: claim.namespace, resized)
        } catch let error as APIError where error.code == 404 {
            return
        }
        await recorder.normal(claim, reason: "VolumeResizeSuccessful", message: "Resize volume succeeded")
        logger.info("volume expanded", metadata: ["claim": "\(ObjectKey(claim))", "size": "\(capacity.stringValue ?? "")"])
    }
}
