import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing

@testable import KyvernKubelet

/// Secrets, downward API and projected volumes live on tmpfs: these need root to mount.
@Suite("Pod volumes on tmpfs", .enabled(if: runningAsRoot))
struct VolumeTmpfsTests {
    func fake() throws -> FakeClient {
        let client = FakeClient()
        try client.seed(.secrets, ["metadata": ["name": "creds", "namespace": "shop"],
                                   "data": ["password": .string(Data("s3cret".utf8).base64EncodedString()),
                                            "user": .string(Data("admin".utf8).base64EncodedString())]])
        try client.seed(.configMaps, ["metadata": ["name": "settings", "namespace": "shop"], "data": ["mode": "fast"]])
        try client.seed(.nodes, ["metadata": ["name": "node-a"], "status": ["allocatable": ["cpu": "2", "memory": "1Gi"]]])
        return client
    }

    /// The size option the kernel reports for the tmpfs at `path`, in bytes.
    func tmpfsSize(_ path: String) -> Int64? {
        let filesystem = try? FileManager.default.attributesOfFileSystem(forPath: path)
        return (filesystem?[.systemSize] as? NSNumber)?.int64Value
    }

    @Test func secretIsOnTmpfsAndGoneAfterTearDown() async throws {
        try await withPodVolumes(client: try fake()) { volumes, root in
            let pod = volumePod(volumes: [["name": "creds", "secret": ["secretName": "creds", "defaultMode": 0o400,
                                                                       "items": [["key": "password", "path": "pw"]]]]],
                                containers: [["name": "app", "resources": ["limits": ["memory": "64Mi"]]]])
            try await volumes.setUp(pod: pod)
            let path = "\(root)/pod-uid-1/volumes/kubernetes.io~secret/creds"
            #expect(MountTable.isMountPoint(path))
            #expect(tmpfsSize(path) == Int64(64 << 20))
            #expect(readText(path + "/pw") == "s3cret")
            #expect(fileMode(path + "/..data/pw") == 0o400)
            #expect(!FileManager.default.fileExists(atPath: path + "/user"))
            try await volumes.setUp(pod: pod)
            #expect(MountTable.mounts(under: path) == [MountTable.canonical(path)])

            try await volumes.tearDown(podUID: "pod-uid-1")
            #expect(MountTable.mounts(under: root).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: root + "/pod-uid-1"))
        }
    }

    @Test func concurrentSetUpsMountOneTmpfs() async throws {
        try await withPodVolumes(client: try fake()) { volumes, root in
            let pod = volumePod(volumes: [["name": "creds", "secret": ["secretName": "creds"]]])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await volumes.setUp(pod: pod) } }
                try await group.waitForAll()
            }
            let path = "\(root)/pod-uid-1/volumes/kubernetes.io~secret/creds"
            #expect(MountTable.mountPoints().filter { $0 == MountTable.canonical(path) }.count == 1)
            #expect(readText(path + "/user") == "admin")
        }
    }

    @Test func missingSecretFailsWithUpstreamMessages() async throws {
        try await withPodVolumes(client: try fake()) { volumes, _ in
            await #expect(throws: VolumeError(volumeName: "s", message: "secret \"gone\" not found")) {
                try await volumes.setUp(pod: volumePod(volumes: [["name": "s", "secret": ["secretName": "gone"]]]))
            }
            await #expect(throws: VolumeError(volumeName: "s", message: "references non-existent secret key: nope")) {
                try await volumes.setUp(pod: volumePod(volumes: [["name": "s", "secret": [
                    "secretName": "creds", "items": [["key": "nope", "path": "x"]]]]]))
            }
            try await volumes.setUp(pod: volumePod(volumes: [["name": "s", "secret": ["secretName": "gone", "optional": true]]]))
        }
    }

    @Test func emptyDirMemoryTakesSizeLimitOrNodeAllocatable() async throws {
        try await withPodVolumes(client: try fake()) { volumes, root in
            try await volumes.setUp(pod: volumePod(volumes: [
                ["name": "small", "emptyDir": ["medium": "Memory", "sizeLimit": "8Mi"]],
                ["name": "big", "emptyDir": ["medium": "Memory"]],
            ]))
            let base = "\(root)/pod-uid-1/volumes/kubernetes.io~empty-dir"
            #expect(tmpfsSize(base + "/small") == Int64(8 << 20))
            #expect(tmpfsSize(base + "/big") == Int64(1 << 30))
            #expect(fileMode(base + "/small") == 0o777)
            try await volumes.tearDown(podUID: "pod-uid-1")
            #expect(MountTable.mounts(under: root).isEmpty)
        }
    }

    @Test func downwardAPIWritesMetadataAndResources() async throws {
        let client = try fake()
        try await withPodVolumes(client: client) { volumes, root in
            var pod = volumePod(volumes: [["name": "info", "downwardAPI": ["items": [
                ["path": "name", "fieldRef": ["fieldPath": "metadata.name"]],
                ["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]],
                ["path": "mem", "resourceFieldRef": ["containerName": "app", "resource": "limits.memory", "divisor": "1Mi"]],
                ["path": "cpu", "resourceFieldRef": ["containerName": "app", "resource": "limits.cpu", "divisor": "1m"]],
            ]]]], containers: [["name": "app", "resources": ["limits": ["memory": "32Mi"]]]])
            try await volumes.setUp(pod: pod)
            let path = "\(root)/pod-uid-1/volumes/kubernetes.io~downward-api/info"
            #expect(MountTable.isMountPoint(path))
            #expect(readText(path + "/name") == "web")
            #expect(readText(path + "/labels") == "app=\"web\"")
            #expect(readText(path + "/mem") == "32")
            #expect(readText(path + "/cpu") == "2000")
            // A label change reaches the file on the next setUp.
            pod[path: ["metadata", "labels"]] = ["app": "web", "v": "2"]
            try await volumes.setUp(pod: pod)
            #expect(readText(path + "/labels") == "app=\"web\"\nv=\"2\"")
        }
    }

    @Test func projectedMergesSourcesAndRequestsABoundToken() async throws {
        let client = try fake()
        let requests = RequestLog()
        client.prependReactor(verb: "create", resource: "serviceaccounts") { action in
            requests.append(action.body)
            return ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                    "status": ["token": .string("tok-\(requests.count)"), "expirationTimestamp": "2099-01-01T00:00:00Z"]]
        }
        try await withPodVolumes(client: client) { volumes, root in
            let pod = volumePod(volumes: [["name": "api", "projected": ["defaultMode": 0o644, "sources": [
                ["serviceAccountToken": ["path": "token", "expirationSeconds": 3600, "audience": "vault"]],
                ["configMap": ["name": "settings", "items": [["key": "mode", "path": "mode"]]]],
                ["secret": ["name": "creds", "items": [["key": "user", "path": "user"]]]],
                ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["fieldPath": "metadata.namespace"]]]]],
            ]]]])
            try await volumes.setUp(pod: pod)
            let path = "\(root)/pod-uid-1/volumes/kubernetes.io~projected/api"
            #expect(MountTable.isMountPoint(path))
            #expect(readText(path + "/token") == "tok-1")
            #expect(readText(path + "/mode") == "fast")
            #expect(readText(path + "/user") == "admin")
            #expect(readText(path + "/namespace") == "shop")
            // The token is reused until it nears expiry.
            try await volumes.setUp(pod: pod)
            #expect(requests.count == 1)
            let body = try #require(requests.first)
            #expect(body[path: ["spec", "audiences"]] == ["vault"])
            #expect(body[path: ["spec", "expirationSeconds"]] == 3600)
            #expect(body[path: ["spec", "boundObjectRef"]] == ["apiVersion": "v1", "kind": "Pod", "name": "web", "uid": "pod-uid-1"])
            #expect(client.actions.contains { $0.resource == "serviceaccounts" && $0.subresource == "token" && $0.name == "default" })
        }
    }

    @Test func projectedTokenWithoutTokenRequestSaysSo() async throws {
        let client = try fake()
        try await withPodVolumes(client: client) { volumes, _ in
            let pod = volumePod(volumes: [["name": "api", "projected": ["sources": [
                ["serviceAccountToken": ["path": "token", "expirationSeconds": 3600]]]]]])
            await #expect {
                try await volumes.setUp(pod: pod)
            } throws: { error in
                (error as? VolumeError)?.message.hasPrefix("the server does not support the TokenRequest API") == true
            }
        }
    }
}

/// Request bodies a reactor saw.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var bodies: [JSONValue] = []
    func append(_ body: JSONValue?) { lock.withLock { bodies.append(body ?? .null) } }
    var count: Int { lock.withLock { bodies.count } }
    var first: JSONValue? { lock.withLock { bodies.first } }
}
