import KyvernAPI

/// Upstream's storage admission plugins, in pure code: DefaultStorageClass (a claim without a
/// class gets the default one), StorageObjectInUseProtection (claims and volumes get their
/// protection finalizer) and PersistentVolumeClaimResize (a claim grows only when its class
/// allows expansion). The handler supplies the StorageClasses it has.
enum StorageAdmission {
    /// What a new claim or volume becomes.
    static func admitCreate(_ object: inout JSONValue, resource: String, classes: [JSONValue]) {
        switch resource {
        case "persistentvolumeclaims":
            if object[path: ["spec", "storageClassName"]] == nil || object[path: ["spec", "storageClassName"]]?.isNull == true,
               object.annotations[StorageAnnotations.betaStorageClass] == nil,
               let defaultClass = defaultClass(among: classes) {
                object[path: ["spec", "storageClassName"]] = .string(defaultClass)
            }
            addFinalizer(&object, StorageAnnotations.claimProtection)
        case "persistentvolumes":
            addFinalizer(&object, StorageAnnotations.volumeProtection)
        default:
            break
        }
    }

    /// The default class: annotated as such; of several, the newest (then by name), as upstream.
    static func defaultClass(among classes: [JSONValue]) -> String? {
        let defaults = classes.filter { storageClass in
            let annotations = storageClass.annotations
            return annotations[StorageAnnotations.isDefaultClass] == "true" || annotations[StorageAnnotations.betaIsDefaultClass] == "true"
        }
        return defaults.sorted { a, b in
            let (ta, tb) = (a.creationTimestamp ?? "", b.creationTimestamp ?? "")
            return ta != tb ? ta > tb : (a.name ?? "") < (b.name ?? "")
        }.first?.name
    }

    static func addFinalizer(_ object: inout JSONValue, _ finalizer: String) {
        var finalizers = object.finalizers
        guard !finalizers.contains(finalizer) else { return }
        finalizers.append(finalizer)
        object[path: ["metadata", "finalizers"]] = .array(finalizers.map(JSONValue.string))
    }

    /// The refusal of a claim update that grows a claim whose class does not allow it, or nil.
    static func resizeRefusal(new: JSONValue, old: JSONValue, classes: [JSONValue]) -> APIError? {
        let newSize = VolumeMatching.requestedSize(new)
        guard newSize > VolumeMatching.requestedSize(old) else { return nil }
        let name = new.name ?? ""
        let className = VolumeMatching.storageClass(ofClaim: old)
        let storageClass = classes.first { $0.name == className }
        if storageClass?["allowVolumeExpansion"]?.boolValue == true,
           !(old[path: ["spec", "volumeName"]]?.stringValue ?? "").isEmpty {
            return nil
        }
        let reason = "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"
        return APIError(code: 403, reason: "Forbidden", message: "persistentvolumeclaims \"\(name)\" is forbidden: \(reason)",
                        details: .init(name: name, group: nil, kind: "persistentvolumeclaims"))
    }
}
