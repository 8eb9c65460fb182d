public import KyvernAPI

/// A pod's claims sorted as upstream's volume binder sorts them in PreFilter: bound ones (whose
/// volume's node affinity Filter checks), unbound WaitForFirstConsumer ones (for which Filter
/// looks for a volume or a provisioner per node), and unbound Immediate ones (which the PV
/// binder, not the scheduler, must bind first).
struct PodVolumeClaims: Sendable {
    /// A bound claim and its volume (nil when the volume is not known).
    struct Bound: Sendable {
        var claim: JSONValue
        var volume: JSONValue?
    }

    var bound: [Bound] = []
    var delayed: [JSONValue] = []
    var immediate: [JSONValue] = []
    /// The classes of the delayed claims, by name.
    var classes: [String: JSONValue] = [:]
    /// The volumes of each delayed claim's class, the pool Filter matches from.
    var candidates: [String: [JSONValue]] = [:]
    /// Every claim of the pod as "namespace/name", for PreBind's wait.
    var names: [String] = []

    /// The claim names of the pod's volumes: `persistentVolumeClaim.claimName`, and for a generic
    /// ephemeral volume the claim the ephemeral volume controller creates, `<pod>-<volume>`.
    static func claimNames(of pod: JSONValue) -> [(name: String, ephemeral: Bool)] {
        let podName = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        return (pod[path: ["spec", "volumes"]]?.arrayValue ?? []).compactMap { volume in
            if let claim = volume[path: ["persistentVolumeClaim", "claimName"]]?.stringValue {
                return (claim, false)
            }
            if volume["ephemeral"]?.objectValue != nil, let name = volume["name"]?.stringValue {
                return (podName + "-" + name, true)
            }
            return nil
        }
    }

    /// Whether the binder finished with the claim: it names its volume and is Bound (phase, or
    /// upstream's bind-completed annotation).
    static func isBound(_ claim: JSONValue) -> Bool {
        guard let volume = claim[path: ["spec", "volumeName"]]?.stringValue, !volume.isEmpty else { return false }
        return claim[path: ["status", "phase"]]?.stringValue == "Bound"
            || claim.annotations[StorageAnnotations.bindCompleted] != nil
    }

    /// Upstream's `IsDelayBindingMode`: only a class that exists and says WaitForFirstConsumer
    /// delays binding; no class, a missing class or another mode means Immediate.
    static func delaysBinding(_ claim: JSONValue, classes: [String: JSONValue]) -> Bool {
        let name = VolumeMatching.storageClass(ofClaim: claim)
        guard !name.isEmpty, let storageClass = classes[name] else { return false }
        return storageClass["volumeBindingMode"]?.stringValue == "WaitForFirstConsumer"
    }

    /// Reads the pod's claims from `storage`; throws the UnschedulableAndUnresolvable reason
    /// upstream gives for a claim that is missing, lost, being deleted or not the pod's own.
    init(pod: JSONValue, storage: StorageObjects) throws(Rejection) {
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        for (name, ephemeral) in Self.claimNames(of: pod) {
            guard let claim = storage.claim(namespace: namespace, name: name) else {
                throw Rejection(message: ephemeral
                    ? "waiting for ephemeral volume controller to create the persistentvolumeclaim \"\(name)\""
                    : "persistentvolumeclaim \"\(name)\" not found")
            }
            if claim[path: ["status", "phase"]]?.stringValue == "Lost" {
                let volume = claim[path: ["spec", "volumeName"]]?.stringValue ?? ""
                throw Rejection(message: "persistentvolumeclaim \"\(name)\" bound to non-existent persistentvolume \"\(volume)\"")
            }
            if claim.deletionTimestamp != nil {
                throw Rejection(message: "persistentvolumeclaim \"\(name)\" is being deleted")
            }
            if ephemeral, !Self.isOwned(claim, by: pod) {
                let podName = pod[path: ["metadata", "name"]]?.stringValue ?? ""
                throw Rejection(message: "PVC \(namespace)/\(name) was not created for pod \(namespace)/\(podName) (pod is not owner)")
            }
            names.append(StorageObjects.claimKey(namespace: namespace, name: name))
            if Self.isBound(claim) {
                let volumeName = claim[path: ["spec", "volumeName"]]?.stringValue ?? ""
                bound.append(Bound(claim: claim, volume: storage.volumes[volumeName]))
            } else if Self.delaysBinding(claim, classes: storage.classes),
                      (claim[path: ["spec", "volumeName"]]?.stringValue ?? "").isEmpty {
                delayed.append(claim)
                let className = VolumeMatching.storageClass(ofClaim: claim)
                classes[className] = storage.classes[className]
            } else {
                // Immediate, or pre-bound to a volume and waiting for the binder.
                immediate.append(claim)
            }
        }
        guard !delayed.isEmpty else { return }
        for volume in storage.volumes.values {
            let className = VolumeMatching.storageClass(ofVolume: volume)
            if classes[className] != nil { candidates[className, default: []].append(volume) }
        }
        // Stable order, so every node sees the same pool (the match itself picks the smallest).
        for key in candidates.keys { candidates[key]?.sort { ($0.name ?? "") < ($1.name ?? "") } }
    }

    /// An ephemeral volume's claim is the pod's only when the pod is its controller owner.
    static func isOwned(_ claim: JSONValue, by pod: JSONValue) -> Bool {
        let uid = pod[path: ["metadata", "uid"]]?.stringValue
        return claim.ownerReferences.contains { ref in
            ref["controller"]?.boolValue == true && ref["uid"]?.stringValue == uid
        }
    }

    struct Rejection: Error, Sendable {
        var message: String
    }
}
