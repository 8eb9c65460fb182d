import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import KyvernTestSupport
import Logging
import Testing

@testable import KyvernKubelet

@Suite("Claim-backed pod volumes")
struct ClaimVolumeTests {
    /// setUp's failure for a pod with the one claim volume `data`.
    func setUpFailure(_ client: FakeClient, volume: JSONValue = claimVolume()) async throws -> VolumeError? {
        var failure: VolumeError?
        try await withPodVolumes(client: client) { volumes, _ in
            do {
                try await volumes.setUp(pod: volumePod(volumes: [volume]))
            } catch let error as VolumeError {
                failure = error
            }
            #expect(await volumes.volumesInUse() == [])
        }
        return failure
    }

    @Test func aMissingClaimFailsWithTheAPIsNotFound() async throws {
        let failure = try await setUpFailure(FakeClient())
        #expect(failure == VolumeError(volumeName: "data", message:
            "error processing PVC shop/data: failed to fetch PVC from API server: persistentvolumeclaims \"data\" not found"))
    }

    @Test func aClaimNotBoundOrWithoutVolumeFails() async throws {
        let client = FakeClient()
        _ = try client.seed(.persistentVolumeClaims,
                            ["metadata": ["name": "data", "namespace": "shop"], "spec": [:], "status": ["phase": "Pending"]],
                            ["metadata": ["name": "empty", "namespace": "shop"], "spec": [:], "status": ["phase": "Bound"]])
        #expect(try await setUpFailure(client)?.message == "error processing PVC shop/data: PVC is not bound")
        #expect(try await setUpFailure(client, volume: claimVolume(claim: "empty"))?.message ==
            "error processing PVC shop/empty: PVC has empty pvc.Spec.VolumeName")
    }

    @Test func aClaimBeingDeletedFails() async throws {
        let client = FakeClient()
        try bindClaim(client, source: ["hostPath": ["path": "/tmp"]])
        let claim = try #require(client.object(.persistentVolumeClaims, namespace: "shop", name: "data"))
        var deleting = claim
        deleting.deletionTimestamp = "2026-11-27T06:00:00Z"
        let answer = deleting
        client.prependReactor(verb: "get", resource: "persistentvolumeclaims") { _ in answer }
        #expect(try await setUpFailure(client)?.message == "error processing PVC shop/data: PVC is being deleted")
    }

    @Test func theVolumeMustExistAndPointBackAtTheClaim() async throws {
        let client = FakeClient()
        _ = try client.seed(.persistentVolumeClaims, ["metadata": ["name": "data", "namespace": "shop"],
                                                      "spec": ["volumeName": "pv-1"], "status": ["phase": "Bound"]])
        #expect(try await setUpFailure(client)?.message ==
            "error processing PVC shop/data: failed to fetch PV pv-1 from API server: persistentvolumes \"pv-1\" not found")
        _ = try client.seed(.persistentVolumes, ["metadata": ["name": "pv-1"], "spec": ["hostPath": ["path": "/tmp"],
                                                 "claimRef": ["namespace": "shop", "name": "data", "uid": "someone-else"]]])
        let claimUID = client.object(.persistentVolumeClaims, namespace: "shop", name: "data")?.uid ?? ""
        #expect(try await setUpFailure(client)?.message ==
            "error processing PVC shop/data: found PV object pv-1 but its pv.Spec.ClaimRef.UID someone-else does not point to claim.UID \(claimUID)")
    }

    @Test func anUnsupportedSourceIsNamed() async throws {
        let client = FakeClient()
        try bindClaim(client, source: ["nfs": ["server": "10.0.0.1", "path": "/exports"], "mountOptions": ["hard"]])
        #expect(try await setUpFailure(client)?.message ==
            "no volume plugin matched: PersistentVolume \"pv-1\" has source \"nfs\", which this node does not support (supported: hostPath, local)")
    }

    @Test func aHostPathVolumeIsMadeMountedInPlaceAndOutlivesThePod() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            let data = root + "/storage/pvc-1"
            try bindClaim(client, source: ["hostPath": ["path": .string(data), "type": "DirectoryOrCreate"]])
            let container: JSONValue = ["name": "app", "volumeMounts": [["name": "data", "mountPath": "/var/lib/data"]]]
            let pod = volumePod(volumes: [claimVolume()], containers: [container])
            try await volumes.setUp(pod: pod)
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) && isDirectory.boolValue)
            #expect(try await volumes.mounts(pod: pod, container: container) ==
                [Mount(containerPath: "/var/lib/data", hostPath: data, readOnly: false)])
            #expect(await volumes.volumesInUse() == ["kubernetes.io/host-path/pv-1"])

            try Data("kept".utf8).write(to: URL(fileURLWithPath: data + "/file"))
            try await volumes.tearDown(podUID: "pod-uid-1")
            #expect(!FileManager.default.fileExists(atPath: root + "/pod-uid-1"))
            #expect(readText(data + "/file") == "kept")
            #expect(await volumes.volumesInUse() == [])
        }
    }

    @Test func aHostPathVolumesTypeIsChecked() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            try bindClaim(client, source: ["hostPath": ["path": .string(root + "/absent"), "type": "Directory"]])
            await #expect(throws: VolumeError(volumeName: "data", message: "hostPath type check failed: \(root)/absent is not a directory")) {
                try await volumes.setUp(pod: volumePod(volumes: [claimVolume()]))
            }
        }
    }

    @Test func aLocalVolumeMustExist() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            let disk = root + "/disks/ssd1"
            try bindClaim(client, source: ["local": ["path": .string(disk)],
                                           "nodeAffinity": ["required": ["nodeSelectorTerms": [["matchExpressions": [
                                               ["key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]]]]]]]])
            let container: JSONValue = ["name": "app", "volumeMounts": [["name": "data", "mountPath": "/data"]]]
            let pod = volumePod(volumes: [claimVolume()], containers: [container])
            await #expect(throws: VolumeError(volumeName: "data", message: "path \"\(disk)\" does not exist")) {
                try await volumes.setUp(pod: pod)
            }
            // Never made by the node; once an administrator makes it, the pod proceeds.
            #expect(!FileManager.default.fileExists(atPath: disk))
            await #expect(throws: VolumeError(volumeName: "data", message: "path \"\(disk)\" does not exist")) {
                _ = try await volumes.mounts(pod: pod, container: container)
            }
            try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
            try await volumes.setUp(pod: pod)
            #expect(try await volumes.mounts(pod: pod, container: container) == [Mount(containerPath: "/data", hostPath: disk, readOnly: false)])
            #expect(await volumes.volumesInUse() == ["kubernetes.io/local-volume/pv-1"])
        }
    }

    @Test func eitherReadOnlyMakesTheMountReadOnly() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            try bindClaim(client, claim: "rw", volume: "pv-rw", source: ["hostPath": ["path": .string(root + "/rw"), "type": "DirectoryOrCreate"]])
            try bindClaim(client, claim: "ro", volume: "pv-ro", source: ["hostPath": ["path": .string(root + "/ro"), "type": "DirectoryOrCreate"]])
            let container: JSONValue = ["name": "app", "volumeMounts": [
                ["name": "rw", "mountPath": "/a"],
                ["name": "rw", "mountPath": "/b", "readOnly": true],
                ["name": "ro", "mountPath": "/c"],
                ["name": "ro", "mountPath": "/d", "readOnly": false],
            ]]
            let pod = volumePod(volumes: [claimVolume("rw", claim: "rw", readOnly: false), claimVolume("ro", claim: "ro", readOnly: true)],
                                containers: [container])
            try await volumes.setUp(pod: pod)
            #expect(try await volumes.mounts(pod: pod, container: container).map(\.readOnly) == [false, true, true, true])
            #expect(await volumes.volumesInUse() == ["kubernetes.io/host-path/pv-ro", "kubernetes.io/host-path/pv-rw"])
        }
    }

    @Test func subPathsStayInsideTheClaimsVolume() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            let data = root + "/storage/pvc-1"
            try bindClaim(client, source: ["hostPath": ["path": .string(data), "type": "DirectoryOrCreate"]])
            let container: JSONValue = ["name": "app", "volumeMounts": [
                ["name": "data", "mountPath": "/var/lib/mysql", "subPath": "mysql"],
                ["name": "data", "mountPath": "/per-pod", "subPathExpr": "pods/$(POD_NAME)", "readOnly": true],
            ]]
            let pod = volumePod(volumes: [claimVolume()], containers: [container])
            try await volumes.setUp(pod: pod)
            let mounts = try await volumes.mounts(pod: pod, container: container, environment: [EnvVar(name: "POD_NAME", value: "web")])
            let base = MountTable.canonical(data)
            #expect(mounts == [Mount(containerPath: "/var/lib/mysql", hostPath: base + "/mysql", readOnly: false),
                               Mount(containerPath: "/per-pod", hostPath: base + "/pods/web", readOnly: true)])
            #expect(FileManager.default.fileExists(atPath: base + "/pods/web"))

            try FileManager.default.createSymbolicLink(atPath: data + "/out", withDestinationPath: "/etc")
            let escaping: JSONValue = ["name": "app", "volumeMounts": [["name": "data", "mountPath": "/x", "subPath": "out"]]]
            await #expect(throws: VolumeError(volumeName: "data", message: "subpath \"/etc\" not within volume path \"\(base)\"")) {
                _ = try await volumes.mounts(pod: pod, container: escaping, environment: [])
            }
        }
    }

    @Test func aRunningPodKeepsItsVolumeWhenTheClaimIsDeletedLater() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            try bindClaim(client, source: ["hostPath": ["path": .string(root + "/d"), "type": "DirectoryOrCreate"]])
            let pod = volumePod(volumes: [claimVolume()])
            try await volumes.setUp(pod: pod)
            _ = try await client.delete(.persistentVolumeClaims, namespace: "shop", name: "data", options: DeleteOptions())
            try await volumes.setUp(pod: pod)
            #expect(await volumes.volumesInUse() == ["kubernetes.io/host-path/pv-1"])
            // Another pod cannot start on the claim any more.
            await #expect(throws: VolumeError.self) {
                try await volumes.setUp(pod: volumePod(uid: "pod-uid-2", volumes: [claimVolume()]))
            }
        }
    }

    @Test func aNewSourceIsOneMoreMounter() async throws {
        let client = FakeClient()
        let root = FileManager.default.temporaryDirectory.path + "/kyvern-claims-\(UUID().uuidString)"
        defer { cleanUpScratch(root) }
        let mounter = RecordingMounter(directory: root + "/published")
        let volumes = PodVolumes(client: client, rootDirectory: root, logger: Logger(label: "claims"),
                                 mounters: PersistentVolumeMounters([mounter]))
        try bindClaim(client, source: ["csi": ["driver": "example.csi.io", "volumeHandle": "h-1"]])
        let container: JSONValue = ["name": "app", "volumeMounts": [["name": "data", "mountPath": "/data"]]]
        let pod = volumePod(volumes: [claimVolume()], containers: [container])
        try await volumes.setUp(pod: pod)
        try await volumes.setUp(pod: pod)
        #expect(try await volumes.mounts(pod: pod, container: container) ==
            [Mount(containerPath: "/data", hostPath: root + "/published", readOnly: false)])
        #expect(await volumes.volumesInUse() == ["kubernetes.io/csi/pv-1"])
        try await volumes.tearDown(podUID: "pod-uid-1")
        #expect(mounter.recorded == ["setUp pod-uid-1 data pv-1", "tearDown pod-uid-1 data \(root)/published"])
    }
}
