import Foundation
import KyvernAPI

/// `spec.local` volumes: a directory an administrator prepared on this node, used in place. It
/// must already exist; the node never makes it (its absence means the disk is not there).
struct LocalVolumeMounter: PersistentVolumeMounter {
    var sourceKey: String { "local" }
    var pluginName: String { "kubernetes.io/local-volume" }
    var appliesOwnership: Bool { true }

    func setUp(_ request: ClaimVolumeRequest) async throws -> String {
        let path = request.claim.volume[path: ["spec", "local", "path"]]?.stringValue ?? ""
        guard !path.isEmpty else { throw PayloadError("LocalVolume volume \"\(request.claim.volumeName)\" path is empty") }
        if path.split(separator: "/").contains("..") {
            throw PayloadError("invalid path: \(path) must not contain '..'")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PayloadError("path \"\(path)\" does not exist")
        }
        guard isDirectory.boolValue else {
            throw PayloadError("path \"\(path)\" is not a directory; this node mounts local directories only")
        }
        return path
    }
}
