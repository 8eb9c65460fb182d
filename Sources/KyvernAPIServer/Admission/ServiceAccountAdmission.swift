import KyvernAPI

/// What upstream's ServiceAccount admission adds to a new pod once its account is known: the
/// account's image pull secrets (when the pod names none), and the `kube-api-access-*` projected
/// volume (a bound token, the cluster CA from `kube-root-ca.crt`, the namespace) mounted read-only
/// at the path client libraries read in-cluster credentials from.
enum ServiceAccountAdmission {
    static let volumePrefix = "kube-api-access-"
    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    /// Upstream's odd default: an hour plus seven seconds, so tools can tell a projected token from others.
    static let tokenExpirationSeconds: Int64 = 3607
    static let mirrorAnnotation = "kubernetes.io/config.mirror"

    /// The kubelet owns a mirror pod's spec, so admission leaves it alone.
    static func isMirrorPod(_ pod: JSONValue) -> Bool {
        pod[path: ["metadata", "annotations", mirrorAnnotation]] != nil
    }

    /// Whether the token is mounted: the pod's own `automountServiceAccountToken` wins, then the account's.
    static func automounts(pod: JSONValue, account: JSONValue) -> Bool {
        if let own = pod[path: ["spec", "automountServiceAccountToken"]]?.boolValue { return own }
        return account["automountServiceAccountToken"]?.boolValue ?? true
    }

    /// Applies the account to `pod`; `volumeSuffix` names a new token volume (five random characters upstream).
    static func admit(_ pod: inout JSONValue, account: JSONValue, volumeSuffix: String, mountToken mounts: Bool = true) {
        if (pod[path: ["spec", "imagePullSecrets"]]?.arrayValue ?? []).isEmpty,
           let secrets = account["imagePullSecrets"]?.arrayValue, !secrets.isEmpty {
            pod[path: ["spec", "imagePullSecrets"]] = .array(secrets.compactMap { secret in
                secret["name"].map { ["name": $0] }
            })
        }
        guard mounts, automounts(pod: pod, account: account) else { return }
        mountToken(&pod, volumeSuffix: volumeSuffix)
    }

    /// Mounts the token volume into every init and app container that has nothing at the mount path
    /// yet, and adds the volume when one of them needed it. A volume with the prefix that is already
    /// there is reused (an object re-created from another's `-o yaml`).
    static func mountToken(_ pod: inout JSONValue, volumeSuffix: String) {
        let volumes = pod[path: ["spec", "volumes"]]?.arrayValue ?? []
        let existing = volumes.lazy.compactMap { $0["name"]?.stringValue }.first { $0.hasPrefix(volumePrefix) }
        let volumeName = existing ?? volumePrefix + volumeSuffix
        let mount: JSONValue = ["name": .string(volumeName), "readOnly": true, "mountPath": .string(mountPath)]
        var needed = false
        for field in ["initContainers", "containers"] {
            guard var containers = pod[path: ["spec", field]]?.arrayValue else { continue }
            for index in containers.indices {
                var mounts = containers[index]["volumeMounts"]?.arrayValue ?? []
                if mounts.contains(where: { $0["mountPath"]?.stringValue == mountPath }) { continue }
                mounts.append(mount)
                containers[index]["volumeMounts"] = .array(mounts)
                needed = true
            }
            pod[path: ["spec", field]] = .array(containers)
        }
        guard needed, existing == nil else { return }
        pod[path: ["spec", "volumes"]] = .array(volumes + [tokenVolume(name: volumeName)])
    }

    static func tokenVolume(name: String) -> JSONValue {
        [
            "name": .string(name),
            "projected": [
                "defaultMode": 420,
                "sources": [
                    ["serviceAccountToken": ["expirationSeconds": .int(tokenExpirationSeconds), "path": "token"]],
                    ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                    ["downwardAPI": ["items": [["path": "namespace",
                                                "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
                ],
            ],
        ]
    }
}
