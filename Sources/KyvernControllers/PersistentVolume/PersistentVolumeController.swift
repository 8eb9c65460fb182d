import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Upstream's persistentvolume-binder: binds claims to volumes (smallest fit first, pre-bound
/// pairs honoured), keeps both phases true (Available, Bound, Released, Failed; Pending, Bound,
/// Lost), hands claims of a class with a provisioner to that provisioner, and applies the reclaim
/// policy once a bound claim is gone.
///
/// One queue carries both kinds: a key with a namespace is a claim, one without is a volume
/// (volumes are cluster-scoped). Unlike upstream's single worker, several workers bind at once:
/// every write carries the resourceVersion the decision was made on, so two claims offered the
/// same volume cannot both take it (the second write is a conflict, and its claim is retried on
/// a fresher cache).
struct PersistentVolumeController: Reconciler {
    static let name = "persistentvolume-binder"
    static let component = "persistentvolume-controller"

    let client: any KubernetesClient
    let claims: any ObjectCache
    let volumes: any ObjectCache
    let classes: any ObjectCache
    let nodes: any ObjectCache
    let recorder: EventRecorder
    let logger: Logger
    /// What this controller wrote; `claims` and `volumes` read through it in production.
    var ownWrites = OwnWrites()

    func reconcile(_ key: ObjectKey) async throws {
        if let namespace = key.namespace, !namespace.isEmpty {
            guard let claim = await claims.get(namespace: namespace, name: key.name) else { return }
            try await syncClaim(claim)
        } else {
            guard let volume = await volumes.get(namespace: nil, name: key.name) else { return }
            try await syncVolume(volume)
        }
    }

    // MARK: writes (each tolerates the object having gone)

    @discardableResult
    func write(_ ref: ResourceRef, _ object: JSONValue, status: Bool = false) async throws -> JSONValue? {
        do {
            let written = status ? try await client.updateStatus(ref, namespace: object.namespace, object)
                                 : try await client.update(ref, namespace: object.namespace, object)
            ownWrites.remember(written, of: ref)
            return written
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// Writes `edit(cached)`; on a conflict reads the object and writes `edit(fresh)` once more at
    /// once. The cache often lags this controller's own last write (the hand-over annotation just
    /// before the provisioner's volume appears), and sending the key back through the queue's
    /// backoff and overall retry budget made a burst of claims wait on each other. `edit` returns
    /// the object unchanged when the step is already done, nil when the object no longer allows it
    /// (then the conflict is thrown and the key retried on a fresher cache, as before).
    func writeFresh(_ ref: ResourceRef, _ cached: JSONValue, status: Bool = false,
                    edit: (JSONValue) -> JSONValue?) async throws -> JSONValue? {
        guard let edited = edit(cached), edited != cached else { return cached }
        do {
            return try await write(ref, edited, status: status)
        } catch let error as APIError where error.code == 409 {
            let fresh: JSONValue
            do {
                fresh = try await client.get(ref, namespace: cached.namespace, name: cached.name ?? "")
                ownWrites.remember(fresh, of: ref)
            } catch let missing as APIError where missing.code == 404 {
                return nil
            }
            guard let again = edit(fresh) else { throw error }
            if again == fresh { return fresh }
            return try await write(ref, again, status: status)
        }
    }

    /// The StorageClass named by the claim, if it exists.
    func storageClass(of claim: JSONValue) async -> JSONValue? {
        let name = VolumeMatching.storageClass(ofClaim: claim)
        guard !name.isEmpty else { return nil }
        return await classes.get(namespace: nil, name: name)
    }

    /// The node as volume node affinity sees it; a node not (yet) known has only its hostname label.
    func matchingNode(_ name: String) async -> VolumeMatching.Node {
        let labels = await nodes.get(namespace: nil, name: name)?.labels ?? ["kubernetes.io/hostname": name]
        return VolumeMatching.Node(name: name, labels: labels)
    }

    /// Upstream delays binding for WaitForFirstConsumer classes until the scheduler picked a node.
    static func delaysBinding(_ storageClass: JSONValue?) -> Bool {
        storageClass?["volumeBindingMode"]?.stringValue == "WaitForFirstConsumer"
    }
}
