import KyvernAPI
import KyvernClient
import Logging

extension PersistentVolumeController {
    /// A volume: its phase follows its claim, and once a bound claim is gone its reclaim policy
    /// applies (Retain keeps it Released; Delete leaves it to the provisioner that made it).
    func syncVolume(_ volume: JSONValue) async throws {
        guard volume[path: ["spec", "claimRef"]]?.objectValue != nil,
              let refUID = volume[path: ["spec", "claimRef", "uid"]]?.stringValue, !refUID.isEmpty else {
            // Free, or pre-bound by the user to a claim that has not bound yet.
            if let available = ClaimBinding.volumePhase(volume, "Available") {
                try await write(.persistentVolumes, available, status: true)
            }
            return
        }
        let namespace = volume[path: ["spec", "claimRef", "namespace"]]?.stringValue ?? ""
        let claimName = volume[path: ["spec", "claimRef", "name"]]?.stringValue ?? ""
        var claim = await claims.get(namespace: namespace, name: claimName)
        if claim == nil {
            // The cache may lag behind a claim just created; ask the API before declaring it gone.
            claim = try await freshClaim(namespace: namespace, name: claimName)
        }
        guard let claim, claim.uid == refUID else {
            return try await release(volume)
        }
        let claimVolume = claim[path: ["spec", "volumeName"]]?.stringValue ?? ""
        if claimVolume.isEmpty {
            // Half-bound (the claim's side is not written yet): the claim's sync finishes it.
            return
        }
        if claimVolume == volume.name {
            if let bound = ClaimBinding.volumePhase(volume, "Bound") { try await write(.persistentVolumes, bound, status: true) }
            return
        }
        // The claim went to another volume.
        if volume.annotations[StorageAnnotations.provisionedBy] != nil,
           volume[path: ["spec", "persistentVolumeReclaimPolicy"]]?.stringValue == "Delete" {
            return try await release(volume)
        }
        if volume.annotations[StorageAnnotations.boundByController] != nil {
            try await write(.persistentVolumes, ClaimBinding.volumeUnbound(volume))
        }
    }

    func freshClaim(namespace: String, name: String) async throws -> JSONValue? {
        do {
            return try await client.get(.persistentVolumeClaims, namespace: namespace, name: name)
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// The claim is gone: Released, then the reclaim policy.
    func release(_ volume: JSONValue) async throws {
        var volume = volume
        let phase = volume[path: ["status", "phase"]]?.stringValue
        if phase != "Released" && phase != "Failed", let released = ClaimBinding.volumePhase(volume, "Released") {
            guard let written = try await write(.persistentVolumes, released, status: true) else { return }
            volume = written
            logger.info("volume released", metadata: ["volume": "\(volume.name ?? "")"])
        }
        switch volume[path: ["spec", "persistentVolumeReclaimPolicy"]]?.stringValue ?? "Retain" {
        case "Retain":
            return
        case "Delete":
            // A provisioner deletes what it made; nothing else here can.
            if volume.annotations[StorageAnnotations.provisionedBy] != nil { return }
            try await fail(volume, reason: "VolumeFailedDelete",
                           "error getting deleter volume plugin for volume \"\(volume.name ?? "")\": no deletable volume plugin matched")
        default:
            try await fail(volume, reason: "VolumeFailedRecycle", "No recycler plugin found for the volume!")
        }
    }

    func fail(_ volume: JSONValue, reason: String, _ message: String) async throws {
        guard let failed = ClaimBinding.volumePhase(volume, "Failed", message: message) else { return }
        await recorder.warning(volume, reason: reason, message: message)
        try await write(.persistentVolumes, failed, status: true)
    }
}
