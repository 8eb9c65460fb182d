import KyvernAPI
import KyvernClient
import Logging

extension PersistentVolumeController {
    /// A claim: bound ones are checked against their volume, unbound ones get a volume, a
    /// provisioner, or an event saying why they wait.
    func syncClaim(_ claim: JSONValue) async throws {
        if claim.annotations[StorageAnnotations.bindCompleted] == nil {
            try await syncUnboundClaim(claim)
        } else {
            try await syncBoundClaim(claim)
        }
    }

    func syncUnboundClaim(_ claim: JSONValue) async throws {
        let volumeName = claim[path: ["spec", "volumeName"]]?.stringValue ?? ""
        guard volumeName.isEmpty else { return try await syncClaimNamingVolume(claim, volumeName: volumeName) }
        let storageClass = await storageClass(of: claim)
        let selectedNode = claim.annotations[StorageAnnotations.selectedNode]
        let delay = Self.delaysBinding(storageClass) && selectedNode == nil
        // With a selected node, only volumes usable there.
        var node: VolumeMatching.Node?
        if let selectedNode { node = await matchingNode(selectedNode) }
        if let volume = VolumeMatching.bestMatch(for: claim, among: await volumes.list(namespace: nil), node: node,
                                                 delayBinding: delay) {
            return try await bind(claim, volume)
        }
        let className = VolumeMatching.storageClass(ofClaim: claim)
        if delay {
            await recorder.normal(claim, reason: "WaitForFirstConsumer",
                                  message: "waiting for first consumer to be created before binding")
        } else if !className.isEmpty {
            try await handOverToProvisioner(claim, storageClass: storageClass, className: className)
        } else {
            await recorder.normal(claim, reason: "FailedBinding",
                                  message: "no persistent volumes available for this claim and no storage class is set")
        }
        if let pending = ClaimBinding.claimPhase(claim, "Pending") {
            try await write(.persistentVolumeClaims, pending, status: true)
        }
    }

    /// A claim of a class with a provisioner is annotated with it, which is the provisioner's cue.
    func handOverToProvisioner(_ claim: JSONValue, storageClass: JSONValue?, className: String) async throws {
        guard let storageClass else {
            await recorder.warning(claim, reason: "ProvisioningFailed", message: "storageclass.storage.k8s.io \"\(className)\" not found")
            return
        }
        let provisioner = storageClass["provisioner"]?.stringValue ?? ""
        guard provisioner != "kubernetes.io/no-provisioner", !provisioner.isEmpty else {
            await recorder.normal(claim, reason: "FailedBinding", message: "no persistent volumes available for this claim and no storage class is set")
            return
        }
        // The built-in provisioner acts on a claim the scheduler placed without this cue, and the
        // bind records it on the claim: writing it now would only race that bind (its update then
        // conflicts on the binder's lagging copy and costs two more requests per claim).
        let cueNeeded = !(provisioner == LocalPathProvisioner.provisionerName
                          && claim.annotations[StorageAnnotations.selectedNode] != nil)
        if cueNeeded, claim.annotations[StorageAnnotations.storageProvisioner] != provisioner {
            var annotated = claim
            annotated[path: ["metadata", "annotations", StorageAnnotations.storageProvisioner]] = .string(provisioner)
            annotated[path: ["metadata", "annotations", StorageAnnotations.betaStorageProvisioner]] = .string(provisioner)
            try await write(.persistentVolumeClaims, annotated)
        }
        await recorder.normal(claim, reason: "ExternalProvisioning", message: """
            Waiting for a volume to be created either by the external provisioner '\(provisioner)' or manually by the \
            system administrator. If volume creation is delayed, please verify that the provisioner is running and \
            correctly registered.
            """)
    }

    /// The user named a volume: bind it if it is free and fits, else say why the claim waits.
    func syncClaimNamingVolume(_ claim: JSONValue, volumeName: String) async throws {
        guard let volume = await volumes.get(namespace: nil, name: volumeName) else {
            if let pending = ClaimBinding.claimPhase(claim, "Pending") { try await write(.persistentVolumeClaims, pending, status: true) }
            return
        }
        let ref = volume[path: ["spec", "claimRef"]]
        if ref?.objectValue == nil || VolumeMatching.isPreBound(volume, to: claim) {
            if let mismatch = Self.mismatch(claim, volume) {
                await recorder.warning(claim, reason: "VolumeMismatch", message: mismatch)
                if let pending = ClaimBinding.claimPhase(claim, "Pending") { try await write(.persistentVolumeClaims, pending, status: true) }
                return
            }
            return try await bind(claim, volume)
        }
        await recorder.warning(claim, reason: "FailedBinding", message: "volume \"\(volumeName)\" already bound to a different claim.")
        if let pending = ClaimBinding.claimPhase(claim, "Pending") { try await write(.persistentVolumeClaims, pending, status: true) }
    }

    /// Why a named volume cannot serve the claim (upstream's checkVolumeSatisfyClaim), or nil.
    static func mismatch(_ claim: JSONValue, _ volume: JSONValue) -> String? {
        if VolumeMatching.capacity(volume) < VolumeMatching.requestedSize(claim) {
            return "requested PV is too small"
        }
        if VolumeMatching.storageClass(ofVolume: volume) != VolumeMatching.storageClass(ofClaim: claim) {
            return "storageClassName does not match"
        }
        if !VolumeMatching.volumeModesAgree(claim, volume) {
            return "incompatible volumeMode"
        }
        if !VolumeMatching.accessModesOffered(claim, volume) {
            return "incompatible accessMode"
        }
        return nil
    }

    func syncBoundClaim(_ claim: JSONValue) async throws {
        let volumeName = claim[path: ["spec", "volumeName"]]?.stringValue ?? ""
        guard !volumeName.isEmpty else {
            return try await lose(claim, reason: "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
        }
        guard let volume = await volumes.get(namespace: nil, name: volumeName) else {
            return try await lose(claim, reason: "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
        }
        let refUID = volume[path: ["spec", "claimRef", "uid"]]?.stringValue
        if volume[path: ["spec", "claimRef"]]?.objectValue == nil || refUID == claim.uid {
            return try await bind(claim, volume)
        }
        try await lose(claim, reason: "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")
    }

    func lose(_ claim: JSONValue, reason: String, _ message: String) async throws {
        guard let lost = ClaimBinding.claimPhase(claim, "Lost") else { return }
        await recorder.warning(claim, reason: reason, message: message)
        try await write(.persistentVolumeClaims, lost, status: true)
    }

    /// Upstream's bind: the volume's claimRef, the volume Bound, the claim's volumeName and
    /// bind-completed, the claim Bound. Each step is skipped when already done, so a retry after
    /// a failure anywhere resumes where it stopped. Once the volume's claimRef names the claim (the
    /// step that decides the pair, always first), its phase is only a report: it is written beside
    /// the claim's two writes rather than before them, so a claim is Bound after two writes in a
    /// row, not three (a provisioned volume arrives with its claimRef).
    func bind(_ claim: JSONValue, _ volume: JSONValue) async throws {
        let claimUID = claim.uid
        var volume = volume
        if let updated = ClaimBinding.volumeBound(volume, to: claim) {
            guard let written = try await write(.persistentVolumes, updated) else { return }
            volume = written
        }
        let pinned = volume
        async let phase: Void = markBound(pinned, claimUID: claimUID)
        try await bindClaim(claim, to: pinned)
        try await phase
    }

    /// The volume's phase Bound, while its claimRef still names the claim.
    func markBound(_ volume: JSONValue, claimUID: String?) async throws {
        guard ClaimBinding.volumePhase(volume, "Bound") != nil else { return }
        _ = try await writeFresh(.persistentVolumes, volume, status: true, edit: { current in
            guard current[path: ["spec", "claimRef", "uid"]]?.stringValue == claimUID else { return nil }
            return ClaimBinding.volumePhase(current, "Bound") ?? current
        })
    }

    /// The claim's side: its volumeName and bind-completed, then its status Bound.
    func bindClaim(_ claim: JSONValue, to boundVolume: JSONValue) async throws {
        let claimUID = claim.uid
        let volumeName = boundVolume.name ?? ""
        var current = claim
        if ClaimBinding.claimBound(current, to: boundVolume) != nil {
            guard let written = try await writeFresh(.persistentVolumeClaims, current, edit: { fresh in
                let named = fresh[path: ["spec", "volumeName"]]?.stringValue ?? ""
                guard fresh.uid == claimUID, named.isEmpty || named == volumeName else { return nil }
                return ClaimBinding.claimBound(fresh, to: boundVolume) ?? fresh
            }) else { return }
            current = written
        }
        if ClaimBinding.boundClaimStatus(current, volume: boundVolume) != nil {
            guard try await writeFresh(.persistentVolumeClaims, current, status: true, edit: { fresh in
                guard fresh.uid == claimUID, fresh[path: ["spec", "volumeName"]]?.stringValue == volumeName else { return nil }
                return ClaimBinding.boundClaimStatus(fresh, volume: boundVolume) ?? fresh
            }) != nil else { return }
            logger.info("claim bound", metadata: ["claim": "\(ObjectKey(claim))", "volume": "\(volumeName)"])
        }
    }
}
