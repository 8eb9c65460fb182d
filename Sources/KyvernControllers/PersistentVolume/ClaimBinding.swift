import Foundation
import KyvernAPI

/// The object edits that bind a claim and a volume, as upstream's binder makes them, in pure
/// code so the sequence (volume first, then claim, then both statuses) is testable without I/O.
enum ClaimBinding {
    static let yes = "yes"

    /// The volume's `claimRef` pointing at `claim` (with its uid), marked bound-by-controller
    /// when the controller, not the user, chose the pair. Nil when nothing changes.
    static func volumeBound(_ volume: JSONValue, to claim: JSONValue) -> JSONValue? {
        let ref = volume[path: ["spec", "claimRef"]]
        let alreadyBound = ref?["uid"]?.stringValue == claim.uid && ref?["name"]?.stringValue == claim.name
            && ref?["namespace"]?.stringValue == claim.namespace
        if alreadyBound { return nil }
        var updated = volume
        let userChose = ref?.objectValue != nil && VolumeMatching.isPreBound(volume, to: claim)
        updated[path: ["spec", "claimRef"]] = [
            "kind": "PersistentVolumeClaim", "apiVersion": "v1",
            "namespace": .string(claim.namespace ?? ""), "name": .string(claim.name ?? ""),
            "uid": .string(claim.uid ?? ""), "resourceVersion": .string(claim.resourceVersion ?? ""),
        ]
        if !userChose { updated[path: ["metadata", "annotations", StorageAnnotations.boundByController]] = .string(yes) }
        return updated
    }

    /// The claim naming the volume and marked bind-completed. Nil when nothing changes.
    static func claimBound(_ claim: JSONValue, to volume: JSONValue) -> JSONValue? {
        var updated = claim
        let volumeName = volume.name ?? ""
        if (claim[path: ["spec", "volumeName"]]?.stringValue ?? "") != volumeName {
            updated[path: ["spec", "volumeName"]] = .string(volumeName)
            updated[path: ["metadata", "annotations", StorageAnnotations.boundByController]] = .string(yes)
        }
        updated[path: ["metadata", "annotations", StorageAnnotations.bindCompleted]] = .string(yes)
        // A provisioner may finish before the hand-over annotation is written (the built-in one
        // acts on the class alone): the claim still records who provisioned it, as upstream's do.
        if let provisioner = volume.annotations[StorageAnnotations.provisionedBy],
           claim.annotations[StorageAnnotations.storageProvisioner] == nil {
            updated[path: ["metadata", "annotations", StorageAnnotations.storageProvisioner]] = .string(provisioner)
            updated[path: ["metadata", "annotations", StorageAnnotations.betaStorageProvisioner]] = .string(provisioner)
        }
        if updated == claim { return JSONValue?.none }
        return updated
    }

    /// The claim's status once bound: phase, and the volume's access modes and capacity.
    static func boundClaimStatus(_ claim: JSONValue, volume: JSONValue) -> JSONValue? {
        var status = claim["status"]?.objectValue ?? [:]
        let before = status
        status["phase"] = "Bound"
        status["accessModes"] = volume[path: ["spec", "accessModes"]] ?? []
        // Once bound, the capacity is the resizer's to record (with allocatedResources), not the binder's.
        if status["capacity"] == nil {
            status["capacity"] = volume[path: ["spec", "capacity"]] ?? [:]
        }
        guard status != before else { return nil }
        var updated = claim
        updated["status"] = .object(status)
        return updated
    }

    /// The claim with phase `phase` (Pending, Lost); nil when it already has it.
    static func claimPhase(_ claim: JSONValue, _ phase: String) -> JSONValue? {
        guard claim[path: ["status", "phase"]]?.stringValue != phase else { return nil }
        var updated = claim
        updated[path: ["status", "phase"]] = .string(phase)
        if phase == "Lost" {
            updated[path: ["status", "capacity"]] = nil
            updated[path: ["status", "accessModes"]] = nil
        }
        return updated
    }

    /// The volume with phase `phase` and an optional message; nil when unchanged.
    static func volumePhase(_ volume: JSONValue, _ phase: String, message: String? = nil) -> JSONValue? {
        var updated = volume
        updated[path: ["status", "phase"]] = .string(phase)
        if message != nil || volume[path: ["status", "message"]] != nil {
            updated[path: ["status", "message"]] = message.map(JSONValue.string)
        }
        if phase != volume[path: ["status", "phase"]]?.stringValue {
            updated[path: ["status", "lastPhaseTransitionTime"]] = .string(Timestamp.format(Date()))
        }
        if updated == volume { return JSONValue?.none }
        return updated
    }

    /// The volume released from a claim bound elsewhere: `claimRef` cleared, so it is Available again.
    static func volumeUnbound(_ volume: JSONValue) -> JSONValue {
        var updated = volume
        updated[path: ["spec", "claimRef"]] = nil
        if volume.annotations[StorageAnnotations.boundByController] != nil {
            updated[path: ["metadata", "annotations", StorageAnnotations.boundByController]] = nil
        }
        return updated
    }
}
