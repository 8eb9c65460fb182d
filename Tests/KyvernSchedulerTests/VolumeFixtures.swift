import KyvernAPI
@testable import KyvernScheduler

/// Claims, volumes and storage classes as the API server stores them, for VolumeBinding tests.
enum VolumeFixtures {
    static func storageClass(_ name: String, provisioner: String = "kyvern.io/local-path",
                             mode: String = "WaitForFirstConsumer") -> JSONValue {
        ["apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": ["name": .string(name)],
         "provisioner": .string(provisioner), "volumeBindingMode": .string(mode)]
    }

    static func claim(_ name: String, namespace: String = "default", storageClass: String? = "local",
                      size: String = "1Gi", volumeName: String? = nil, phase: String = "Pending",
                      uid: String? = nil) -> JSONValue {
        var spec: [String: JSONValue] = ["accessModes": ["ReadWriteOnce"],
                                         "resources": ["requests": ["storage": .string(size)]]]
        if let storageClass { spec["storageClassName"] = .string(storageClass) }
        if let volumeName { spec["volumeName"] = .string(volumeName) }
        return ["apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string(uid ?? "uid-" + name)],
                "spec": .object(spec), "status": ["phase": .string(phase)]]
    }

    /// A volume, pinned to `node` by hostname affinity when given.
    static func volume(_ name: String, size: String = "1Gi", storageClass: String = "local", node: String? = nil,
                       phase: String = "Available", claimRef: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = ["capacity": ["storage": .string(size)], "accessModes": ["ReadWriteOnce"],
                                         "storageClassName": .string(storageClass), "hostPath": ["path": "/data"]]
        if let node {
            spec["nodeAffinity"] = ["required": ["nodeSelectorTerms": [["matchExpressions": [
                ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]],
            ]]]]]
        }
        if let claimRef { spec["claimRef"] = claimRef }
        return ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)],
                "spec": .object(spec), "status": ["phase": .string(phase)]]
    }

    static func pod(_ name: String = "p", claims: [String], ephemeral: [String] = []) -> JSONValue {
        var volumes: [JSONValue] = claims.enumerated().map { i, claim in
            ["name": .string("v\(i)"), "persistentVolumeClaim": ["claimName": .string(claim)]]
        }
        volumes += ephemeral.map { ["name": .string($0), "ephemeral": ["volumeClaimTemplate": ["spec": [:]]]] }
        var pod = Fixtures.pod(name, spec: ["volumes": .array(volumes)])
        pod[path: ["metadata", "uid"]] = .string("uid-" + name)
        return pod
    }

    static func node(_ name: String) -> JSONValue {
        Fixtures.node(name, labels: ["kubernetes.io/hostname": name])
    }
}
