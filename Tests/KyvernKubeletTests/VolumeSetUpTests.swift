import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing

@testable import KyvernKubelet

@Suite("Pod volumes on disk")
struct VolumeSetUpTests {
    func fake() throws -> FakeClient {
        let client = FakeClient()
        try client.seed(.configMaps, ["metadata": ["name": "settings", "namespace": "shop"],
                                      "data": ["app.conf": "mode=fast", "level": "3"],
                                      "binaryData": ["blob": .string(Data([0, 1, 2]).base64EncodedString())]])
        return client
    }

    @Test func emptyDirIsAWorldWritableDirectory() async throws {
        try await withPodVolumes(client: try fake()) { volumes, root in
            try await volumes.setUp(pod: volumePod(volumes: [["name": "scratch", "emptyDir": [:]]]))
            let path = "\(root)/pod-uid-1/volumes/kubernetes.io~empty-dir/scratch"
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
            #expect(fileMode(path) == 0o777)
        }
    }

    @Test func configMapIsWrittenAtomicallyAndRefreshed() async throws {
        let client = try fake()
        try await withPodVolumes(client: client) { volumes, root in
            let pod = volumePod(volumes: [["name": "config", "configMap": ["name": "settings"]]])
            try await volumes.setUp(pod: pod)
            let path = "\(root)/pod-uid-1/volumes/kubernetes.io~configmap/config"
            #expect(readText(path + "/app.conf") == "mode=fast")
            #expect(readText(path + "/level") == "3")
            #expect(FileManager.default.contents(atPath: path + "/blob") == Data([0, 1, 2]))
            #expect(fileMode(path + "/..data/level") == 0o644)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path + "/level") == "..data/level")
            let first = try FileManager.default.destinationOfSymbolicLink(atPath: path + "/..data")
            #expect(first.hasPrefix("..") && first.count > 20)

            // No change: the data directory stays.
            try await volumes.setUp(pod: pod)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path + "/..data") == first)

            // A change: new data directory, removed key gone, old directory gone.
            var updated = try #require(client.object(.configMaps, namespace: "shop", name: "settings"))
            updated["data"] = ["app.conf": "mode=slow"]
            updated["binaryData"] = nil
            _ = try await client.update(.configMaps, namespace: "shop", updated, options: WriteOptions())
            try await volumes.setUp(pod: pod)
            let second = try FileManager.default.destinationOfSymbolicLink(atPath: path + "/..data")
            #expect(second != first)
            #expect(readText(path + "/app.conf") == "mode=slow")
            #expect(!FileManager.default.fileExists(atPath: path + "/level"))
            let entries = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            #expect(entries == [second, "..data", "app.conf"].sorted())
        }
    }

    @Test func configMapItemsModesAndOptional() async throws {
        try await withPodVolumes(client: try fake()) { volumes, root in
            try await volumes.setUp(pod: volumePod(volumes: [
                ["name": "picked", "configMap": ["name": "settings", "defaultMode": 0o600,
                                                 "items": [["key": "level", "path": "nested/lvl", "mode": 0o400],
                                                           ["key": "app.conf", "path": "app"]]]],
                ["name": "maybe", "configMap": ["name": "absent", "optional": true]],
            ]))
            let path = "\(root)/pod-uid-1/volumes/kubernetes.io~configmap/picked"
            #expect(readText(path + "/nested/lvl") == "3")
            #expect(fileMode(path + "/..data/nested/lvl") == 0o400)
            #expect(fileMode(path + "/..data/app") == 0o600)
            #expect(!FileManager.default.fileExists(atPath: path + "/level"))
            let optional = "\(root)/pod-uid-1/volumes/kubernetes.io~configmap/maybe"
            #expect(try FileManager.default.contentsOfDirectory(atPath: optional).filter { !$0.hasPrefix("..") } == [])
        }
    }

    @Test func missingConfigMapOrKeyFailsWithUpstreamMessages() async throws {
        try await withPodVolumes(client: try fake()) { volumes, _ in
            await #expect(throws: VolumeError(volumeName: "config", message: "configmap \"absent\" not found")) {
                try await volumes.setUp(pod: volumePod(volumes: [["name": "config", "configMap": ["name": "absent"]]]))
            }
            await #expect(throws: VolumeError(volumeName: "config", message: "configmap references non-existent config key: nope")) {
                try await volumes.setUp(pod: volumePod(volumes: [["name": "config", "configMap": [
                    "name": "settings", "items": [["key": "nope", "path": "x"]]]]]))
            }
            await #expect(throws: VolumeError(volumeName: "eph", message: "volume type ephemeral is not supported by this node")) {
                try await volumes.setUp(pod: volumePod(volumes: [["name": "eph", "ephemeral": ["volumeClaimTemplate": [:]]]]))
            }
        }
    }

    @Test func hostPathTypesAreCheckedAndCreated() async throws {
        try await withPodVolumes(client: try fake()) { volumes, root in
            let host = root + "/host"
            try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: host + "/file", contents: Data("x".utf8))
            func setUp(_ path: String, _ type: String) async throws {
                try await volumes.setUp(pod: volumePod(volumes: [["name": "h", "hostPath": ["path": .string(path), "type": .string(type)]]]))
            }
            try await setUp(host + "/made/dir", "DirectoryOrCreate")
            #expect(fileMode(host + "/made/dir") == 0o755)
            try await setUp(host + "/new-file", "FileOrCreate")
            #expect(FileManager.default.fileExists(atPath: host + "/new-file"))
            try await setUp(host, "Directory")
            try await setUp(host + "/file", "File")
            try await setUp(host + "/not-there", "")
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: host + "/not-there", isDirectory: &isDirectory) && isDirectory.boolValue)
            try await setUp(host + "/file", "")
            let failures: [(String, String, String)] = [
                (host + "/file", "Directory", "hostPath type check failed: \(host)/file is not a directory"),
                (host, "File", "hostPath type check failed: \(host) is not a file"),
                (host + "/missing", "Directory", "hostPath type check failed: \(host)/missing is not a directory"),
                (host, "FileOrCreate", "hostPath type check failed: \(host) is not a file"),
                (host + "/file", "Socket", "hostPath type check failed: \(host)/file is not a socket file"),
                (host + "/file", "CharDevice", "hostPath type check failed: \(host)/file is not a character device"),
                (host + "/file", "BlockDevice", "hostPath type check failed: \(host)/file is not a block device"),
                (host, "Weird", "Weird is an invalid volume type"),
            ]
            for (path, type, message) in failures {
                await #expect(throws: VolumeError(volumeName: "h", message: message)) { try await setUp(path, type) }
            }
            try await setUp("/dev/null", "CharDevice")
        }
    }

    @Test func tearDownRemovesThePodDirectory() async throws {
        try await withPodVolumes(client: try fake()) { volumes, root in
            try await volumes.setUp(pod: volumePod(volumes: [["name": "scratch", "emptyDir": [:]],
                                                             ["name": "config", "configMap": ["name": "settings"]]]))
            #expect(FileManager.default.fileExists(atPath: root + "/pod-uid-1"))
            try await volumes.tearDown(podUID: "pod-uid-1")
            #expect(!FileManager.default.fileExists(atPath: root + "/pod-uid-1"))
            try await volumes.tearDown(podUID: "pod-uid-1")
        }
    }
}
