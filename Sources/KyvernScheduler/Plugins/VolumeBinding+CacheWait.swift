import KyvernAPI
import KyvernClient

/// PreBind's wait on the informers' copies (``StorageUpdates``) rather than on API reads.
extension VolumeBinding {
    /// Waits until the cache shows every claim Bound, re-checking on each claim or volume change
    /// (at least every poll interval), at most until `deadline`.
    func waitBound(on updates: StorageUpdates, _ volumes: PodVolumes, claims: [String], nodeName: String,
                   deadline: ContinuousClock.Instant) async throws(BindError) {
        var progress = CacheProgress()
        while true {
            let (storage, generation) = updates.current
            do {
                if try progress.allBound(volumes, claims: claims, nodeName: nodeName, storage: storage) { return }
            } catch {
                throw BindError(message: "binding volumes: " + error.message)
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, !Task.isCancelled else {
                throw BindError(message: "binding volumes: context deadline exceeded")
            }
            await updates.wait(after: generation, timeout: min(pollInterval, remaining))
        }
    }

    /// Upstream's `checkBindings` on cached objects. The cache may still show an object as it was
    /// before PreBind's own write, so a missing `claimRef` or selected-node only means the binder
    /// undid the choice once the cache has shown the choice made.
    struct CacheProgress: Sendable {
        /// Volumes ("pv/name") and claims ("namespace/name") whose cached copy showed PreBind's choice.
        var seen: Set<String> = []

        mutating func allBound(_ volumes: PodVolumes, claims: [String], nodeName: String,
                               storage: StorageObjects) throws(BindError) -> Bool {
            for binding in volumes.staticBindings {
                let name = binding.volume.name ?? ""
                let uid = storage.volumes[name]?[path: ["spec", "claimRef", "uid"]]?.stringValue ?? ""
                if !uid.isEmpty {
                    seen.insert("pv/" + name)
                } else if seen.contains("pv/" + name) {
                    throw BindError(message: "ClaimRef got reset for pv \"\(name)\"")
                }
            }
            for claim in volumes.provisions {
                let key = VolumeBinding.key(claim)
                guard let current = storage.claims[key] else {
                    if seen.contains(key) { throw BindError(message: "persistentvolumeclaim \"\(claim.name ?? "")\" not found") }
                    continue
                }
                if PodVolumeClaims.isBound(current) || current.annotations[StorageAnnotations.selectedNode] == nodeName {
                    seen.insert(key)
                } else if seen.contains(key) {
                    throw BindError(message: "provisioning failed for PVC \"\(claim.name ?? "")\"")
                }
            }
            return claims.allSatisfy { key in storage.claims[key].map(PodVolumeClaims.isBound) ?? false }
        }
    }
}
