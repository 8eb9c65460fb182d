import KyvernAPI

/// Claims, volumes and classes for the storage controllers' tests.
enum StorageFixtures {
    static func claim(_ name: String, size: String = "1Gi", storageClass: String? = "manual",
                      modes: [String] = ["ReadWriteOnce"], volumeName: String? = nil,
                      annotations: [String: String] = [:], phase: String = "Pending") -> JSONValue {
        var spec: JSONValue = ["accessModes": .array(modes.map(JSONValue.string)),
                               "resources": ["requests": ["storage": .string(size)]]]
        if let storageClass { spec["storageClassName"] = .string(storageClass) }
        if let volumeName { spec["volumeName"] = .string(volumeName) }
        var claim: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                "metadata": ["name": .string(name), "namespace": "default"],
                                "spec": spec, "status": ["phase": .string(phase)]]
        if !annotations.isEmpty { claim[path: ["metadata", "annotations"]] = .object(annotations.mapValues(JSONValue.string)) }
        return claim
    }

    static func volume(_ name: String, size: String = "1Gi", storageClass: String = "manual",
                       modes: [String] = ["ReadWriteOnce"], phase: String = "Available", claimRef: JSONValue? = nil,
                       node: String? = nil, reclaim: String = "Retain", labels: [String: String] = [:],
                       annotations: [String: String] = [:]) -> JSONValue {
        var spec: JSONValue = ["capacity": ["storage": .string(size)], "accessModes": .array(modes.map(JSONValue.string)),
                               "storageClassName": .string(storageClass), "persistentVolumeReclaimPolicy": .string(reclaim),
                               "hostPath": ["path": .string("/srv/\(name)")]]
        if let claimRef { spec["claimRef"] = claimRef }
        if let node {
            spec["nodeAffinity"] = ["required": ["nodeSelectorTerms": [["matchExpressions": [
                ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]]]]]]
        }
        var volume: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)],
                                 "spec": spec, "status": ["phase": .string(phase)]]
        if !labels.isEmpty { volume[path: ["metadata", "labels"]] = .object(labels.mapValues(JSONValue.string)) }
        if !annotations.isEmpty { volume[path: ["metadata", "annotations"]] = .object(annotations.mapValues(JSONValue.string)) }
        return volume
    }

    static func ref(to claim: JSONValue) -> JSONValue {
        ["kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(claim.namespace ?? ""),
         "name": .string(claim.name ?? ""), "uid": .string(claim.uid ?? "")]
    }

    static func storageClass(_ name: String, provisioner: String = "kyvern.io/local-path",
                             binding: String = "Immediate", expansion: Bool = true, parameters: [String: String] = [:]) -> JSONValue {
        var storageClass: JSONValue = ["apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": ["name": .string(name)],
                                       "provisioner": .string(provisioner), "reclaimPolicy": "Delete",
                                       "volumeBindingMode": .string(binding), "allowVolumeExpansion": .bool(expansion)]
        if !parameters.isEmpty { storageClass["parameters"] = .object(parameters.mapValues(JSONValue.string)) }
        return storageClass
    }
}
