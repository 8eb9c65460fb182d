import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Upstream's external-provisioner and external-resizer for one node's provisioner: creates a
/// volume for each claim handed to it (by the binder's `volume.kubernetes.io/storage-provisioner`)
/// whose node is this one, deletes the volumes it made once Released with reclaim Delete, and
/// records expansions. The binder then binds claim and volume; this controller never does.
///
/// Several nodes run one each: a claim belongs to the node the scheduler selected; an
/// Immediate claim (no node) to whichever node creates `pvc-<uid>` first.
struct ProvisioningController: Reconciler {
    static let name = "volume-provisioner"
    static let component = "kyvern.io/local-path-provisioner"

    let client: any KubernetesClient
    let provisioner: any VolumeProvisioner
    let nodeName: String
    let claims: any ObjectCache
    let volumes: any ObjectCache
    let classes: any ObjectCache
    let recorder: EventRecorder
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws {
        if let namespace = key.namespace, !namespace.isEmpty {
            guard let claim = await claims.get(namespace: namespace, name: key.name), claim.deletionTimestamp == nil else { return }
            if (claim[path: ["spec", "volumeName"]]?.stringValue ?? "").isEmpty {
                try await provisionIfMine(claim)
            } else {
                try await expandIfMine(claim)
            }
        } else {
            guard let volume = await volumes.get(namespace: nil, name: key.name) else { return }
            try await deleteIfReleased(volume)
        }
    }

    /// `pvc-<uid>`, the name every provisioner of the claim would choose, so two cannot both succeed.
    static func volumeName(for claim: JSONValue) -> String { "pvc-\(claim.uid ?? "")" }

    /// Whether this provisioner made the volume and it lives on this node.
    func owns(_ volume: JSONValue) -> Bool {
        volume.annotations[StorageAnnotations.provisionedBy] == provisioner.name
            && VolumeMatching.pinnedNode(volume) == nodeName
    }

    func storageClass(named name: String) async -> JSONValue? {
        guard !name.isEmpty else { return nil }
        return await classes.get(namespace: nil, name: name)
    }
}
