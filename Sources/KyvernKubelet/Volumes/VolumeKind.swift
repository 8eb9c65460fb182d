import KyvernAPI

/// The volume sources this node supports and where each lives under the pod's directory
/// (upstream's plugin directory names, so tools that know the kubelet's layout find them).
enum VolumeKind: String, Sendable, CaseIterable {
    case emptyDir
    case hostPath
    case configMap
    case secret
    case downwardAPI
    case projected
    case persistentVolumeClaim

    /// The volume's source kind, or nil for a source this node does not support.
    static func of(_ volume: JSONValue) -> VolumeKind? {
        allCases.first { volume[$0.rawValue] != nil }
    }

    /// The first key of the volume that names a source, for error messages.
    static func sourceName(_ volume: JSONValue) -> String {
        (volume.objectValue ?? [:]).keys.filter { $0 != "name" }.sorted().first ?? "unknown"
    }

    /// `kubernetes.io~configmap` etc.; nil for hostPath and claims, which live where their path
    /// (or their PersistentVolume's) says.
    var pluginDirectory: String? {
        switch self {
        case .emptyDir: "kubernetes.io~empty-dir"
        case .hostPath: nil
        case .configMap: "kubernetes.io~configmap"
        case .secret: "kubernetes.io~secret"
        case .downwardAPI: "kubernetes.io~downward-api"
        case .projected: "kubernetes.io~projected"
        case .persistentVolumeClaim: nil
        }
    }

    /// Volumes the kubelet writes itself; upstream always mounts them read-only into containers.
    var alwaysReadOnly: Bool {
        switch self {
        case .configMap, .secret, .downwardAPI, .projected: true
        case .emptyDir, .hostPath, .persistentVolumeClaim: false
        }
    }

    /// Upstream keeps secrets, downward API files and projected tokens on tmpfs so they never
    /// reach the node's disk; configMaps live on disk.
    var memoryBacked: Bool {
        switch self {
        case .secret, .downwardAPI, .projected: true
        case .emptyDir, .hostPath, .configMap, .persistentVolumeClaim: false
        }
    }
}
