import Foundation
import Glibc
import KyvernAPI
import KyvernTestSupport
import Logging

@testable import KyvernKubelet

/// A scratch pods directory for volume tests; everything mounted or written under it goes when
/// the body ends, whether it passed, failed or threw.
func withPodVolumes(client: FakeClient, _ body: (PodVolumes, String) async throws -> Void) async throws {
    let root = FileManager.default.temporaryDirectory.path + "/kyvern-volumes-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let volumes = PodVolumes(client: client, rootDirectory: root, logger: Logger(label: "volume-tests"))
    do {
        try await body(volumes, root)
    } catch {
        cleanUpScratch(root)
        throw error
    }
    cleanUpScratch(root)
}

func cleanUpScratch(_ root: String) {
    for mountPoint in MountTable.mounts(under: root) { umount2(mountPoint, Int32(MNT_DETACH)) }
    if MountTable.mounts(under: root).isEmpty { try? FileManager.default.removeItem(atPath: root) }
}

func readText(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

func fileMode(_ path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
}

let runningAsRoot = getuid() == 0

func volumePod(uid: String = "pod-uid-1", volumes: [JSONValue], containers: [JSONValue] = [["name": "app"]],
               nodeName: String = "node-a") -> JSONValue {
    ["metadata": ["name": "web", "namespace": "shop", "uid": .string(uid), "labels": ["app": "web"]],
     "spec": ["nodeName": .string(nodeName), "volumes": .array(volumes), "containers": .array(containers)]]
}
