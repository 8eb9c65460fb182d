import KyvernAPI

/// Upstream's defaults for the apps/v1 workloads, ReplicationControllers and PodTemplates.
enum WorkloadDefaults {
    static func deployment(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultValue("replicas", 1)
            spec.defaultValue("strategy", [:])
            spec.modify("strategy") { strategy in
                strategy.defaultString("type", "RollingUpdate")
                guard strategy["type"] == "RollingUpdate" else { return }
                strategy.defaultValue("rollingUpdate", [:])
                strategy.modify("rollingUpdate") { rolling in
                    rolling.defaultValue("maxUnavailable", "25%")
                    rolling.defaultValue("maxSurge", "25%")
                }
            }
            spec.defaultValue("revisionHistoryLimit", 10)
            spec.defaultValue("progressDeadlineSeconds", 600)
            spec.modify("template") { PodSpecDefaults.applyToTemplate(&$0) }
        }
    }

    static func replicaSet(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultValue("replicas", 1)
            spec.modify("template") { PodSpecDefaults.applyToTemplate(&$0) }
        }
    }

    static func statefulSet(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultString("podManagementPolicy", "OrderedReady")
            spec.defaultValue("updateStrategy", [:])
            spec.modify("updateStrategy") { strategy in
                if strategy.isEmpty("type") {
                    strategy["type"] = "RollingUpdate"
                    strategy.defaultValue("rollingUpdate", [:])
                }
                guard strategy["type"] == "RollingUpdate" else { return }
                strategy.modify("rollingUpdate") { rolling in
                    rolling.defaultValue("partition", 0)
                    // MaxUnavailableStatefulSet is beta and on by default since 1.35.
                    rolling.defaultValue("maxUnavailable", 1)
                }
            }
            spec.defaultValue("persistentVolumeClaimRetentionPolicy", [:])
            spec.modify("persistentVolumeClaimRetentionPolicy") { policy in
                policy.defaultString("whenDeleted", "Retain")
                policy.defaultString("whenScaled", "Retain")
            }
            spec.defaultValue("replicas", 1)
            spec.defaultValue("revisionHistoryLimit", 10)
            spec.modify("template") { PodSpecDefaults.applyToTemplate(&$0) }
            // Claim templates are whole PersistentVolumeClaims: upstream writes their type and a
            // Pending status back on every read.
            spec.modifyEach("volumeClaimTemplates") { claim in
                claim["apiVersion"] = "v1"
                claim["kind"] = "PersistentVolumeClaim"
                StorageDefaults.persistentVolumeClaim(&claim)
            }
        }
    }

    static func daemonSet(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultValue("updateStrategy", [:])
            spec.modify("updateStrategy") { strategy in
                strategy.defaultString("type", "RollingUpdate")
                guard strategy["type"] == "RollingUpdate" else { return }
                strategy.defaultValue("rollingUpdate", [:])
                strategy.modify("rollingUpdate") { rolling in
                    rolling.defaultValue("maxUnavailable", 1)
                    rolling.defaultValue("maxSurge", 0)
                }
            }
            spec.defaultValue("revisionHistoryLimit", 10)
            spec.modify("template") { PodSpecDefaults.applyToTemplate(&$0) }
        }
    }

    /// A ReplicationController without a selector or labels takes its template's labels for both.
    static func replicationController(_ object: inout JSONValue) {
        let templateLabels = object[path: ["spec", "template", "metadata", "labels"]]
        if let templateLabels, templateLabels.objectValue != nil {
            if object[path: ["spec"]]?.isEmpty("selector") ?? true {
                object[path: ["spec", "selector"]] = templateLabels
            }
            if object[path: ["metadata"]]?.isEmpty("labels") ?? true {
                object[path: ["metadata", "labels"]] = templateLabels
            }
        }
        object.modify("spec") { spec in
            spec.defaultValue("replicas", 1)
            spec.modify("template") { PodSpecDefaults.applyToTemplate(&$0) }
        }
    }

    static func podTemplate(_ object: inout JSONValue) {
        object.modify("template") { PodSpecDefaults.applyToTemplate(&$0) }
    }
}
