import KyvernAPI

/// `spec.hostPath` volumes (what the built-in provisioner makes): the node's directory used in
/// place, its `type` checked (and DirectoryOrCreate made) as for a pod's own hostPath volume.
struct HostPathVolumeMounter: PersistentVolumeMounter {
    var sourceKey: String { "hostPath" }
    var pluginName: String { "kubernetes.io/host-path" }
    /// Upstream leaves hostPath ownership alone; here a claim's hostPath volume is the node's
    /// default storage, so fsGroup applies to it as to a local volume.
    var appliesOwnership: Bool { true }

    func setUp(_ request: ClaimVolumeRequest) async throws -> String {
        let source = request.claim.volume[path: ["spec", "hostPath"]] ?? [:]
        let path = source["path"]?.stringValue ?? ""
        guard !path.isEmpty else { throw PayloadError("hostPath volume \"\(request.claim.volumeName)\" path is empty") }
        try HostPathCheck.check(path: path, type: source["type"]?.stringValue ?? "")
        return path
    }
}
