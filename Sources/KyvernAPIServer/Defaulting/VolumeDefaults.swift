import KyvernAPI

/// Upstream's defaults for a pod volume and for the volume sources a PersistentVolume shares with it.
enum VolumeDefaults {
    /// Mode 0644, written as the decimal upstream returns.
    static let defaultMode: JSONValue = 420

    static func apply(to volume: inout JSONValue) {
        // A volume naming no source is an emptyDir.
        if let members = volume.objectValue, members.keys.allSatisfy({ $0 == "name" || members[$0] == .null }) {
            volume["emptyDir"] = [:]
        }
        volume.modify("secret") { $0.defaultValue("defaultMode", defaultMode) }
        volume.modify("configMap") { $0.defaultValue("defaultMode", defaultMode) }
        volume.modify("downwardAPI") { source in
            source.defaultValue("defaultMode", defaultMode)
            FieldSelectorDefaults.apply(toDownwardAPIItems: &source)
        }
        volume.modify("projected") { projected in
            projected.defaultValue("defaultMode", defaultMode)
            projected.modifyEach("sources") { source in
                source.modify("downwardAPI") { FieldSelectorDefaults.apply(toDownwardAPIItems: &$0) }
                source.modify("serviceAccountToken") { $0.defaultValue("expirationSeconds", 3600) }
            }
        }
        volume.modify("ephemeral") { ephemeral in
            ephemeral.modify(path: ["volumeClaimTemplate", "spec"]) { StorageDefaults.applyToClaimSpec(&$0) }
        }
        volume.modify("image") { image in
            if image.isEmpty("pullPolicy") {
                image["pullPolicy"] = .string(ImageReference.defaultPullPolicy(for: image["reference"]?.stringValue ?? ""))
            }
        }
        applyToSharedSources(&volume)
    }

    /// Sources that appear both in pod volumes and in PersistentVolumes.
    static func applyToSharedSources(_ source: inout JSONValue) {
        source.modify("hostPath") { $0.defaultValue("type", "") }
        source.modify("iscsi") { $0.defaultString("iscsiInterface", "default") }
        source.modify("rbd") { rbd in
            rbd.defaultString("pool", "rbd")
            rbd.defaultString("user", "admin")
            rbd.defaultString("keyring", "/etc/ceph/keyring")
        }
        source.modify("azureDisk") { disk in
            disk.defaultValue("cachingMode", "ReadWrite")
            disk.defaultValue("fsType", "ext4")
            disk.defaultValue("readOnly", false)
            disk.defaultValue("kind", "Shared")
        }
        source.modify("scaleIO") { scaleIO in
            scaleIO.defaultString("storageMode", "ThinProvisioned")
            scaleIO.defaultString("fsType", "xfs")
        }
    }
}
