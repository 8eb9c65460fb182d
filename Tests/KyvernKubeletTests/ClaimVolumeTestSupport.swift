import Foundation
import Glibc
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Synchronization

@testable import KyvernKubelet

/// Seeds claim `claim` in `shop`, Bound to PersistentVolume `volume` whose spec holds `source`
/// (e.g. `["local": ["path": ...]]`) and a claimRef back to the claim.
@discardableResult
func bindClaim(_ client: FakeClient, claim: String = "data", volume: String = "pv-1", source: JSONValue) throws -> String {
    let created = try client.seed(.persistentVolumeClaims, [
        "metadata": ["name": .string(claim), "namespace": "shop"],
        "spec": ["volumeName": .string(volume), "accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
        "status": ["phase": "Bound"],
    ])
    let uid = created[0].uid ?? ""
    var spec = source
    spec["capacity"] = ["storage": "1Gi"]
    spec["accessModes"] = ["ReadWriteOnce"]
    spec["claimRef"] = ["kind": "PersistentVolumeClaim", "namespace": "shop", "name": .string(claim), "uid": .string(uid)]
    _ = try client.seed(.persistentVolumes, ["metadata": ["name": .string(volume)], "spec": spec, "status": ["phase": "Bound"]])
    return uid
}

/// A pod volume `name` backed by claim `claim`.
func claimVolume(_ name: String = "data", claim: String = "data", readOnly: Bool? = nil) -> JSONValue {
    var source: JSONValue = ["claimName": .string(claim)]
    if let readOnly { source["readOnly"] = .bool(readOnly) }
    return ["name": .string(name), "persistentVolumeClaim": source]
}

/// The group and mode bits of a path (symlinks not followed).
struct FileOwner: Equatable, CustomStringConvertible {
    var gid: gid_t
    var mode: mode_t
    init(_ gid: gid_t, _ mode: mode_t) {
        self.gid = gid
        self.mode = mode
    }
    var description: String { "gid \(gid) mode \(String(mode, radix: 8))" }
}

func ownership(_ path: String) -> FileOwner? {
    VolumeOwnership.Entry(path).map { FileOwner($0.group, $0.mode) }
}

/// A mounter for a made-up `csi` source, recording what it is asked: how a new source plugs in.
final class RecordingMounter: PersistentVolumeMounter, Sendable {
    let calls = Mutex<[String]>([])
    let directory: String
    init(directory: String) { self.directory = directory }
    var sourceKey: String { "csi" }
    var pluginName: String { "kubernetes.io/csi" }
    var appliesOwnership: Bool { false }
    func setUp(_ request: ClaimVolumeRequest) async throws -> String {
        calls.withLock { $0.append("setUp \(request.podUID) \(request.volumeName) \(request.claim.volumeName)") }
        return directory
    }
    func tearDown(_ request: ClaimVolumeRequest, directory: String) async throws {
        calls.withLock { $0.append("tearDown \(request.podUID) \(request.volumeName) \(directory)") }
    }
    var recorded: [String] { calls.withLock { $0 } }
}
