import KyvernAPI
import KyvernClient

/// PreBind's API work: upstream's `BindPodVolumes`, writing the decisions then waiting for the
/// PV binder to finish them.
extension VolumeBinding {
    struct BindError: Error, Sendable {
        var message: String
    }

    /// Binds each static choice (the volume's `claimRef`), hands each provisioning choice to
    /// the provisioner (the claim's selected-node annotation), then waits until every claim in
    /// `claims` ("namespace/name") is Bound, at most ``bindTimeout``: on the informers' copies when
    /// the scheduler feeds ``updates``, else by reading the API.
    func bind(_ volumes: PodVolumes, claims: [String], nodeName: String) async throws(BindError) {
        do {
            for binding in volumes.staticBindings { try await bindVolume(binding) }
            for claim in volumes.provisions { try await selectNode(nodeName, for: claim) }
        } catch let error as BindError {
            throw error
        } catch {
            throw BindError(message: "\(error)")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + bindTimeout
        if let updates {
            return try await waitBound(on: updates, volumes, claims: claims, nodeName: nodeName, deadline: deadline)
        }
        // Provisioning usually takes tens of milliseconds: look again soon, then back off to the
        // poll interval so a slow binder is not flooded with reads.
        var interval = min(Duration.milliseconds(50), pollInterval)
        while true {
            do {
                if try await allBound(volumes, claims: claims, nodeName: nodeName) { return }
            } catch let error as BindError {
                throw BindError(message: "binding volumes: " + error.message)
            } catch {
                throw BindError(message: "binding volumes: \(error)")
            }
            let remaining = deadline - clock.now
            guard remaining > .zero, !Task.isCancelled else {
                throw BindError(message: "binding volumes: context deadline exceeded")
            }
            try? await Task.sleep(for: min(interval, remaining))
            interval = min(interval * 2, pollInterval)
        }
    }

    /// Upstream's `GetBindVolumeToClaim` on the volume as the API has it now: a `claimRef` to the
    /// claim and `bound-by-controller`; refused when another claim took the volume meanwhile.
    func bindVolume(_ binding: PodVolumes.StaticBinding) async throws {
        let claim = binding.claim
        var volume = try await client.get(.persistentVolumes, namespace: nil, name: binding.volume.name ?? "")
        let boundHere = VolumeMatching.isPreBound(volume, to: claim)
        if let ref = volume[path: ["spec", "claimRef"]], ref.objectValue != nil, !boundHere {
            let other = (ref["namespace"]?.stringValue ?? "") + "/" + (ref["name"]?.stringValue ?? "")
            throw BindError(message: "Invalid binding of claim \"\(Self.key(claim))\" to volume \"\(volume.name ?? "")\": volume already claimed by \"\(other)\"")
        }
        var dirty = false
        if !boundHere || volume[path: ["spec", "claimRef", "uid"]]?.stringValue == nil {
            volume[path: ["spec", "claimRef"]] = [
                "kind": "PersistentVolumeClaim", "apiVersion": "v1",
                "namespace": .string(claim.namespace ?? ""), "name": .string(claim.name ?? ""),
                "uid": .string(claim.uid ?? ""), "resourceVersion": .string(claim.resourceVersion ?? ""),
            ]
            dirty = true
        }
        if volume.annotations[StorageAnnotations.boundByController] == nil {
            volume[path: ["metadata", "annotations", StorageAnnotations.boundByController]] = "yes"
            dirty = true
        }
        if dirty { _ = try await client.update(.persistentVolumes, namespace: nil, volume, options: WriteOptions()) }
    }

    /// Asks the claim's provisioner for a volume on `nodeName`: written on the copy the cycle
    /// decided with (one request, as upstream writes its assumed copy), read afresh only when that
    /// copy turns out stale.
    func selectNode(_ nodeName: String, for claim: JSONValue) async throws {
        var current = claim
        for attempt in 0..<2 {
            if attempt > 0 {
                current = try await client.get(.persistentVolumeClaims, namespace: claim.namespace, name: claim.name ?? "")
            }
            guard current.annotations[StorageAnnotations.selectedNode] != nodeName else { return }
            current[path: ["metadata", "annotations", StorageAnnotations.selectedNode]] = .string(nodeName)
            do {
                _ = try await client.update(.persistentVolumeClaims, namespace: claim.namespace, current, options: WriteOptions())
                return
            } catch let error as APIError where error.code == 409 && attempt == 0 {
                continue
            }
        }
    }

    /// Upstream's `checkBindings`: false while the binder works; an error when it undid a
    /// choice (a volume's `claimRef` reset, a provisioner giving the claim back by clearing
    /// selected-node) so the pod is scheduled again.
    func allBound(_ volumes: PodVolumes, claims: [String], nodeName: String) async throws -> Bool {
        for binding in volumes.staticBindings {
            let volume = try await client.get(.persistentVolumes, namespace: nil, name: binding.volume.name ?? "")
            if (volume[path: ["spec", "claimRef", "uid"]]?.stringValue ?? "").isEmpty {
                throw BindError(message: "ClaimRef got reset for pv \"\(volume.name ?? "")\"")
            }
        }
        for claim in volumes.provisions {
            let current = try await client.get(.persistentVolumeClaims, namespace: claim.namespace, name: claim.name ?? "")
            if !PodVolumeClaims.isBound(current), current.annotations[StorageAnnotations.selectedNode] != nodeName {
                throw BindError(message: "provisioning failed for PVC \"\(claim.name ?? "")\"")
            }
        }
        for key in claims {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            let claim = try await client.get(.persistentVolumeClaims, namespace: parts.first, name: parts.last ?? "")
            if !PodVolumeClaims.isBound(claim) { return false }
        }
        return true
    }

    static func key(_ claim: JSONValue) -> String { (claim.namespace ?? "") + "/" + (claim.name ?? "") }
}
