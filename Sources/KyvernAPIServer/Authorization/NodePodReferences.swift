import KyvernAPI

/// The objects a pod names, as upstream's pod visitors find them: what a node running the pod may
/// read (the Node authorizer) and what a mirror pod may not name (NodeRestriction).
enum NodePodReferences {
    static let mirrorAnnotation = "kubernetes.io/config.mirror"

    /// Secrets: image pull secrets, env and envFrom of every container (init and ephemeral too),
    /// and the secret fields of volumes (secret, projected, CSI and the in-tree plugins).
    static func secrets(of pod: JSONValue) -> Set<String> {
        var names = Set<String>()
        for ref in pod[path: ["spec", "imagePullSecrets"]]?.arrayValue ?? [] { insert(ref["name"], into: &names) }
        for container in containers(of: pod) {
            for env in container["env"]?.arrayValue ?? [] {
                insert(env[path: ["valueFrom", "secretKeyRef", "name"]], into: &names)
            }
            for source in container["envFrom"]?.arrayValue ?? [] { insert(source[path: ["secretRef", "name"]], into: &names) }
        }
        for volume in volumes(of: pod) {
            insert(volume[path: ["secret", "secretName"]], into: &names)
            insert(volume[path: ["azureFile", "secretName"]], into: &names)
            for plugin in ["cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos"] {
                insert(volume[path: [plugin, "secretRef", "name"]], into: &names)
            }
            insert(volume[path: ["csi", "nodePublishSecretRef", "name"]], into: &names)
            for source in volume[path: ["projected", "sources"]]?.arrayValue ?? [] {
                insert(source[path: ["secret", "name"]], into: &names)
            }
        }
        return names
    }

    /// ConfigMaps: env and envFrom of every container, configMap and projected volumes.
    static func configMaps(of pod: JSONValue) -> Set<String> {
        var names = Set<String>()
        for container in containers(of: pod) {
            for env in container["env"]?.arrayValue ?? [] {
                insert(env[path: ["valueFrom", "configMapKeyRef", "name"]], into: &names)
            }
            for source in container["envFrom"]?.arrayValue ?? [] { insert(source[path: ["configMapRef", "name"]], into: &names) }
        }
        for volume in volumes(of: pod) {
            insert(volume[path: ["configMap", "name"]], into: &names)
            for source in volume[path: ["projected", "sources"]]?.arrayValue ?? [] {
                insert(source[path: ["configMap", "name"]], into: &names)
            }
        }
        return names
    }

    /// PersistentVolumeClaims: named by a volume, or made for an ephemeral volume (`<pod>-<volume>`).
    static func claims(of pod: JSONValue) -> Set<String> {
        var names = Set<String>()
        let podName = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        for volume in volumes(of: pod) {
            insert(volume[path: ["persistentVolumeClaim", "claimName"]], into: &names)
            if volume["ephemeral"]?.objectValue != nil, let volumeName = volume["name"]?.stringValue {
                names.insert("\(podName)-\(volumeName)")
            }
        }
        return names
    }

    /// ResourceClaims: named in the spec, or generated for a template and reported in the status.
    static func resourceClaims(of pod: JSONValue) -> Set<String> {
        var names = Set<String>()
        for claim in pod[path: ["spec", "resourceClaims"]]?.arrayValue ?? [] { insert(claim["resourceClaimName"], into: &names) }
        for claim in pod[path: ["status", "resourceClaimStatuses"]]?.arrayValue ?? [] {
            insert(claim["resourceClaimName"], into: &names)
        }
        return names
    }

    static func serviceAccount(of pod: JSONValue) -> String? {
        guard let name = pod[path: ["spec", "serviceAccountName"]]?.stringValue, !name.isEmpty else { return nil }
        return name
    }

    /// The secrets a PersistentVolume's source names, as (namespace, name); a reference without a
    /// namespace is in its claim's namespace.
    static func secrets(ofVolume volume: JSONValue) -> [(namespace: String, name: String)] {
        let claimNamespace = volume[path: ["spec", "claimRef", "namespace"]]?.stringValue ?? ""
        var refs: [(String, String)] = []
        func add(_ ref: JSONValue?) {
            guard let name = ref?["name"]?.stringValue, !name.isEmpty else { return }
            let namespace = ref?["namespace"]?.stringValue ?? ""
            refs.append((namespace.isEmpty ? claimNamespace : namespace, name))
        }
        let spec = volume["spec"] ?? [:]
        if let name = spec[path: ["azureFile", "secretName"]]?.stringValue, !name.isEmpty {
            let namespace = spec[path: ["azureFile", "secretNamespace"]]?.stringValue ?? ""
            refs.append((namespace.isEmpty ? claimNamespace : namespace, name))
        }
        for plugin in ["cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos"] {
            add(spec[path: [plugin, "secretRef"]])
        }
        for field in ["controllerPublishSecretRef", "nodeStageSecretRef", "nodePublishSecretRef",
                      "controllerExpandSecretRef", "nodeExpandSecretRef"] {
            add(spec[path: ["csi", field]])
        }
        return refs
    }

    static func isMirror(_ pod: JSONValue) -> Bool {
        pod[path: ["metadata", "annotations", mirrorAnnotation]] != nil
    }

    private static func containers(of pod: JSONValue) -> [JSONValue] {
        ["containers", "initContainers", "ephemeralContainers"].flatMap { pod[path: ["spec", $0]]?.arrayValue ?? [] }
    }

    private static func volumes(of pod: JSONValue) -> [JSONValue] { pod[path: ["spec", "volumes"]]?.arrayValue ?? [] }

    private static func insert(_ value: JSONValue?, into names: inout Set<String>) {
        if let name = value?.stringValue, !name.isEmpty { names.insert(name) }
    }
}
