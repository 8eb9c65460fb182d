import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct ProvisioningControllerTests {
    let client = FakeClient()
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "kyvern-provisioner-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func controller(node: String = "node-a") -> ProvisioningController {
        ProvisioningController(
            client: client, provisioner: LocalPathProvisioner(root: root), nodeName: node,
            claims: StaticCache(objects: client.objects(.persistentVolumeClaims)),
            volumes: StaticCache(objects: client.objects(.persistentVolumes)),
            classes: StaticCache(objects: client.objects(.storageClasses)),
            recorder: EventRecorder(client: client, component: ProvisioningController.component, logger: Logger(label: "test")),
            logger: Logger(label: "test"))
    }

    let key = ObjectKey(namespace: "default", name: "data")
    let handed = [StorageAnnotations.storageProvisioner: "kyvern.io/local-path"]

    func seedClaim(node: String? = "node-a", size: String = "1Gi") throws -> JSONValue {
        var annotations = handed
        if let node { annotations[StorageAnnotations.selectedNode] = node }
        return try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", size: size, storageClass: "local",
                                                                              annotations: annotations))[0]
    }

    @Test func provisionsADirectoryAndAVolumePinnedToTheSelectedNode() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "WaitForFirstConsumer"))
        let claim = try seedClaim()
        try await controller().reconcile(key)
        let volume = try #require(client.object(.persistentVolumes, name: "pvc-\(claim.uid!)"))
        let path = "\(root)/pvc-\(claim.uid!)_default_data"
        #expect(volume[path: ["spec", "hostPath"]] == ["path": .string(path), "type": "DirectoryOrCreate"])
        #expect(VolumeMatching.pinnedNode(volume) == "node-a")
        #expect(volume[path: ["spec", "claimRef", "uid"]]?.stringValue == claim.uid)
        #expect(volume[path: ["spec", "capacity", "storage"]] == "1Gi")
        #expect(volume[path: ["spec", "persistentVolumeReclaimPolicy"]] == "Delete")
        #expect(volume[path: ["spec", "storageClassName"]] == "local")
        #expect(volume.annotations[StorageAnnotations.provisionedBy] == "kyvern.io/local-path")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func leavesClaimsOfOtherNodesAndUnplacedWaitForFirstConsumerClaims() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "WaitForFirstConsumer"))
        _ = try seedClaim(node: "node-b")
        try await controller().reconcile(key)
        #expect(client.objects(.persistentVolumes).isEmpty)
        try await controller(node: "node-b").reconcile(key)
        #expect(client.objects(.persistentVolumes).count == 1)
    }

    @Test func aClaimPlacedOnThisNodeNeedsNoHandOver() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "WaitForFirstConsumer"))
        let claim = try client.seed(.persistentVolumeClaims, StorageFixtures.claim(
            "data", size: "1Gi", storageClass: "local", annotations: [StorageAnnotations.selectedNode: "node-a"]))[0]
        try await controller().reconcile(key)
        #expect(client.object(.persistentVolumes, name: "pvc-\(claim.uid!)") != nil)
    }

    @Test func anImmediateClaimWaitsForTheBindersHandOver() async throws {
        // Without a node choice only the binder knows whether an existing volume fits.
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "Immediate"))
        _ = try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", size: "1Gi", storageClass: "local", annotations: [:]))
        try await controller().reconcile(key)
        #expect(client.objects(.persistentVolumes).isEmpty)
    }

    @Test func aClaimHandedToAnotherProvisionerIsLeftAlone() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "WaitForFirstConsumer"))
        _ = try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", size: "1Gi", storageClass: "local", annotations: [
            StorageAnnotations.selectedNode: "node-a", StorageAnnotations.storageProvisioner: "example.com/other"]))
        try await controller().reconcile(key)
        #expect(client.objects(.persistentVolumes).isEmpty)
    }

    @Test func anImmediateClaimIsProvisionedWithoutASelectedNode() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "Immediate", parameters: ["volumeType": "local"]))
        let claim = try seedClaim(node: nil)
        try await controller().reconcile(key)
        let volume = try #require(client.object(.persistentVolumes, name: "pvc-\(claim.uid!)"))
        #expect(volume[path: ["spec", "local", "path"]]?.stringValue == "\(root)/pvc-\(claim.uid!)_default_data")
    }

    @Test func aClaimOfAnotherProvisionerIsLeftAlone() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", provisioner: "example.com/other"))
        _ = try seedClaim()
        try await controller().reconcile(key)
        #expect(client.objects(.persistentVolumes).isEmpty)
    }

    @Test func aCloneCarriesTheSourcesFiles() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local"))
        let sourceDirectory = "\(root)/source"
        try FileManager.default.createDirectory(atPath: "\(sourceDirectory)/sub", withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: "\(sourceDirectory)/sub/file.txt"))
        var sourceVolume = StorageFixtures.volume("pv-src", storageClass: "local", phase: "Bound", node: "node-a")
        sourceVolume[path: ["spec", "hostPath", "path"]] = .string(sourceDirectory)
        try client.seed(.persistentVolumes, sourceVolume)
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("src", storageClass: "local", volumeName: "pv-src", phase: "Bound"))
        var clone = StorageFixtures.claim("data", storageClass: "local", annotations: handed.merging([StorageAnnotations.selectedNode: "node-a"]) { a, _ in a })
        clone[path: ["spec", "dataSource"]] = ["kind": "PersistentVolumeClaim", "name": "src"]
        let seeded = try client.seed(.persistentVolumeClaims, clone)[0]
        try await controller().reconcile(key)
        #expect(client.object(.persistentVolumes, name: "pvc-\(seeded.uid!)") != nil)
        let copied = try String(contentsOfFile: "\(root)/pvc-\(seeded.uid!)_default_data/sub/file.txt", encoding: .utf8)
        #expect(copied == "hello")
    }

    @Test func aCloneFromAnotherNodeFails() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local"))
        try client.seed(.persistentVolumes, StorageFixtures.volume("pv-src", storageClass: "local", phase: "Bound", node: "node-b"))
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("src", storageClass: "local", volumeName: "pv-src", phase: "Bound"))
        var clone = StorageFixtures.claim("data", storageClass: "local", annotations: handed)
        clone[path: ["spec", "dataSource"]] = ["kind": "PersistentVolumeClaim", "name": "src"]
        try client.seed(.persistentVolumeClaims, clone)
        await #expect(throws: ProvisioningError.self) { try await controller().reconcile(key) }
        #expect(client.objects(.persistentVolumes).count == 1)
    }

    @Test func aReleasedDeleteVolumeLosesItsDirectoryAndObject() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = "\(root)/pvc-1_default_data"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var volume = StorageFixtures.volume("pvc-1", storageClass: "local", phase: "Released", node: "node-a", reclaim: "Delete",
                                            annotations: [StorageAnnotations.provisionedBy: "kyvern.io/local-path"])
        volume[path: ["spec", "hostPath", "path"]] = .string(directory)
        try client.seed(.persistentVolumes, volume)
        // Another node's provisioner does not touch it.
        try await controller(node: "node-b").reconcile(ObjectKey(namespace: nil, name: "pvc-1"))
        #expect(FileManager.default.fileExists(atPath: directory))
        try await controller().reconcile(ObjectKey(namespace: nil, name: "pvc-1"))
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(client.objects(.persistentVolumes).isEmpty)
    }

    @Test func aRetainedVolumeKeepsItsDirectory() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = "\(root)/pvc-1_default_data"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var volume = StorageFixtures.volume("pvc-1", storageClass: "local", phase: "Released", node: "node-a", reclaim: "Retain",
                                            annotations: [StorageAnnotations.provisionedBy: "kyvern.io/local-path"])
        volume[path: ["spec", "hostPath", "path"]] = .string(directory)
        try client.seed(.persistentVolumes, volume)
        try await controller().reconcile(ObjectKey(namespace: nil, name: "pvc-1"))
        #expect(FileManager.default.fileExists(atPath: directory))
        #expect(client.objects(.persistentVolumes).count == 1)
    }

    @Test func anExpandedClaimIsRecordedOnVolumeAndClaim() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try client.seed(.storageClasses, StorageFixtures.storageClass("local"))
        try client.seed(.persistentVolumes, StorageFixtures.volume("pvc-1", size: "1Gi", storageClass: "local", phase: "Bound", node: "node-a",
                                                                   annotations: [StorageAnnotations.provisionedBy: "kyvern.io/local-path"]))
        var claim = StorageFixtures.claim("data", size: "3Gi", storageClass: "local", volumeName: "pvc-1", phase: "Bound")
        claim[path: ["status", "capacity"]] = ["storage": "1Gi"]
        try client.seed(.persistentVolumeClaims, claim)
        try await controller().reconcile(key)
        #expect(client.object(.persistentVolumes, name: "pvc-1")?[path: ["spec", "capacity", "storage"]] == "3Gi")
        let status = client.object(.persistentVolumeClaims, namespace: "default", name: "data")?["status"]
        #expect(status?["capacity"] == ["storage": "3Gi"])
        #expect(status?["allocatedResources"] == ["storage": "3Gi"])
    }
}
