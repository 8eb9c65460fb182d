import KyvernAPI

/// Upstream's defaults for volumes and claims, storage classes and CSI drivers.
enum StorageDefaults {
    static func persistentVolume(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultString("persistentVolumeReclaimPolicy", "Retain")
            spec.defaultValue("volumeMode", "Filesystem")
            spec.roundResourceList("capacity")
            VolumeDefaults.applyToSharedSources(&spec)
        }
        object.defaultValue("status", [:])
        object.modify("status") { $0.defaultString("phase", "Pending") }
    }

    /// Claims and claim templates (StatefulSets) start Pending.
    static func persistentVolumeClaim(_ object: inout JSONValue) {
        object.modify("spec") { applyToClaimSpec(&$0) }
        object.defaultValue("status", [:])
        object.modify("status") { status in
            status.defaultString("phase", "Pending")
            status.roundResourceList("capacity")
            status.roundResourceList("allocatedResources")
        }
    }

    static func applyToClaimSpec(_ spec: inout JSONValue) {
        spec.defaultValue("volumeMode", "Filesystem")
        // `resources` is a plain struct upstream, written `{}` when empty.
        spec.defaultValue("resources", [:])
        spec.modify("resources") { resources in
            resources.roundResourceList("limits")
            resources.roundResourceList("requests")
        }
    }

    static func storageClass(_ object: inout JSONValue) {
        object.defaultValue("reclaimPolicy", "Delete")
        object.defaultValue("volumeBindingMode", "Immediate")
    }

    static func csiDriver(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultValue("attachRequired", true)
            spec.defaultValue("podInfoOnMount", false)
            spec.defaultValue("storageCapacity", false)
            spec.defaultValue("fsGroupPolicy", "ReadWriteOnceWithFSType")
            if spec.isEmpty("volumeLifecycleModes") { spec["volumeLifecycleModes"] = ["Persistent"] }
            spec.defaultValue("requiresRepublish", false)
            spec.defaultValue("seLinuxMount", false)
        }
    }
}
