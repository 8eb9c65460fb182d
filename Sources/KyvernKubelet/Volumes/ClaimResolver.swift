import KyvernAPI
import KyvernClient

/// Finds the PersistentVolume behind a pod's claim, with the checks and messages of upstream's
/// kubelet (its volume manager's populator): a claim being deleted or not yet bound stops the pod
/// before any container starts, and a volume whose `claimRef` points elsewhere is never used.
struct ClaimResolver: Sendable {
    let client: any KubernetesClient

    /// The bound volume of `source` (a pod volume's `persistentVolumeClaim`) in `namespace`.
    func resolve(namespace: String, source: JSONValue) async throws(PayloadError) -> BoundClaim {
        let claimName = source["claimName"]?.stringValue ?? ""
        func failure(_ reason: String) -> PayloadError {
            PayloadError("error processing PVC \(namespace)/\(claimName): \(reason)")
        }
        let claim: JSONValue
        do {
            claim = try await client.get(.persistentVolumeClaims, namespace: namespace, name: claimName)
        } catch {
            throw failure("failed to fetch PVC from API server: \(Self.message(error))")
        }
        if claim.deletionTimestamp != nil { throw failure("PVC is being deleted") }
        if claim[path: ["status", "phase"]]?.stringValue != "Bound" { throw failure("PVC is not bound") }
        let volumeName = claim[path: ["spec", "volumeName"]]?.stringValue ?? ""
        if volumeName.isEmpty { throw failure("PVC has empty pvc.Spec.VolumeName") }

        let volume: JSONValue
        do {
            volume = try await client.get(.persistentVolumes, namespace: nil, name: volumeName)
        } catch {
            throw failure("failed to fetch PV \(volumeName) from API server: \(Self.message(error))")
        }
        let claimUID = claim.uid ?? ""
        guard let claimRef = volume[path: ["spec", "claimRef"]], claimRef.objectValue != nil else {
            throw failure("found PV object \(volumeName) but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim")
        }
        let refUID = claimRef["uid"]?.stringValue ?? ""
        if refUID != claimUID {
            throw failure("found PV object \(volumeName) but its pv.Spec.ClaimRef.UID \(refUID) does not point to claim.UID \(claimUID)")
        }
        if let mode = volume[path: ["spec", "volumeMode"]]?.stringValue, mode != "Filesystem" {
            throw failure("PV \(volumeName) has volumeMode \(mode); this node mounts Filesystem volumes only")
        }
        return BoundClaim(namespace: namespace, claimName: claimName, claimUID: claimUID, volumeName: volumeName,
                          volume: volume, readOnly: source["readOnly"]?.boolValue == true)
    }

    /// The API's own message (`persistentvolumeclaims "x" not found`), as upstream quotes it.
    static func message(_ error: any Error) -> String {
        (error as? APIError)?.message ?? "\(error)"
    }
}
