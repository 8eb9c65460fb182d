import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct PersistentVolumeControllerTests {
    let client = FakeClient()

    func controller() -> PersistentVolumeController {
        PersistentVolumeController(
            client: client, claims: StaticCache(objects: client.objects(.persistentVolumeClaims)),
            volumes: StaticCache(objects: client.objects(.persistentVolumes)),
            classes: StaticCache(objects: client.objects(.storageClasses)), nodes: StaticCache(objects: client.objects(.nodes)),
            recorder: EventRecorder(client: client, component: PersistentVolumeController.component, logger: Logger(label: "test")),
            logger: Logger(label: "test"))
    }

    func claim(_ name: String) -> JSONValue { client.object(.persistentVolumeClaims, namespace: "default", name: name)! }
    func volume(_ name: String) -> JSONValue { client.object(.persistentVolumes, name: name)! }
    let claimKey = ObjectKey(namespace: "default", name: "data")

    @Test func bindsTheSmallestFittingVolumeAndRecordsBothSides() async throws {
        try client.seed(.persistentVolumes, StorageFixtures.volume("big", size: "10Gi"), StorageFixtures.volume("small", size: "2Gi"),
                        StorageFixtures.volume("tiny", size: "500Mi"), StorageFixtures.volume("rwx", size: "1Gi", modes: ["ReadWriteMany"]))
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", size: "1Gi"))
        try await controller().reconcile(claimKey)
        let bound = claim("data")
        #expect(bound[path: ["spec", "volumeName"]] == "small")
        #expect(bound.annotations[StorageAnnotations.bindCompleted] == "yes")
        #expect(bound.annotations[StorageAnnotations.boundByController] == "yes")
        #expect(bound["status"] == ["phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": ["storage": "2Gi"]])
        let volume = volume("small")
        #expect(volume[path: ["spec", "claimRef", "uid"]]?.stringValue == bound.uid)
        #expect(volume[path: ["status", "phase"]] == "Bound")
        #expect(self.volume("big")[path: ["spec", "claimRef"]] == nil)
    }

    @Test func aVolumePreBoundToTheClaimWinsOverASmallerFreeOne() async throws {
        let data = try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data"))[0]
        try client.seed(.persistentVolumes, StorageFixtures.volume("free", size: "1Gi"),
                        StorageFixtures.volume("mine", size: "5Gi", claimRef: ["namespace": "default", "name": "data"]))
        try await controller().reconcile(claimKey)
        #expect(claim("data")[path: ["spec", "volumeName"]] == "mine")
        #expect(volume("mine")[path: ["spec", "claimRef", "uid"]]?.stringValue == data.uid)
        // The user chose this pair: the volume is not marked as the controller's choice.
        #expect(volume("mine").annotations[StorageAnnotations.boundByController] == nil)
    }

    @Test func aClaimNamingAVolumeBindsItOrSaysWhyNot() async throws {
        try client.seed(.persistentVolumes, StorageFixtures.volume("pv1", size: "1Gi"))
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", size: "5Gi", volumeName: "pv1"),
                        StorageFixtures.claim("ok", volumeName: "pv1"))
        try await controller().reconcile(claimKey)
        #expect(claim("data")[path: ["status", "phase"]] == "Pending")
        #expect(volume("pv1")[path: ["spec", "claimRef"]] == nil)
        try await controller().reconcile(ObjectKey(namespace: "default", name: "ok"))
        #expect(claim("ok")[path: ["status", "phase"]] == "Bound")
        #expect(claim("ok").annotations[StorageAnnotations.boundByController] == nil)
    }

    @Test func aClaimOfAProvisionedClassIsHandedToItsProvisioner() async throws {
        try client.seed(.storageClasses, StorageFixtures.storageClass("fast"))
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", storageClass: "fast"))
        try await controller().reconcile(claimKey)
        #expect(claim("data").annotations[StorageAnnotations.storageProvisioner] == "kyvern.io/local-path")
        #expect(claim("data").annotations[StorageAnnotations.betaStorageProvisioner] == "kyvern.io/local-path")
        #expect(claim("data")[path: ["status", "phase"]] == "Pending")
    }

    @Test func aPlacedClaimOfTheBuiltInProvisionerIsNotCuedButOneOfAnotherIs() async throws {
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "WaitForFirstConsumer"))
        try client.seed(.storageClasses, StorageFixtures.storageClass("ext", provisioner: "example.com/csi", binding: "WaitForFirstConsumer"))
        let placed = [StorageAnnotations.selectedNode: "node-a"]
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", storageClass: "local", annotations: placed))
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("other", storageClass: "ext", annotations: placed))
        try await controller().reconcile(claimKey)
        try await controller().reconcile(ObjectKey(namespace: "default", name: "other"))
        // The built-in provisioner needs no cue for a placed claim; the bind records it later.
        #expect(claim("data").annotations[StorageAnnotations.storageProvisioner] == nil)
        #expect(claim("other").annotations[StorageAnnotations.storageProvisioner] == "example.com/csi")
    }

    @Test func aWaitForFirstConsumerClaimWaitsUntilANodeIsSelected() async throws {
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "WaitForFirstConsumer"))
        try client.seed(.persistentVolumes, StorageFixtures.volume("pv-a", storageClass: "local", node: "a"),
                        StorageFixtures.volume("pv-b", storageClass: "local", node: "b"))
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", storageClass: "local"))
        try await controller().reconcile(claimKey)
        #expect(claim("data")[path: ["spec", "volumeName"]] == nil)
        #expect(claim("data").annotations[StorageAnnotations.storageProvisioner] == nil)
        var placed = claim("data")
        placed[path: ["metadata", "annotations", StorageAnnotations.selectedNode]] = "b"
        _ = try await client.update(.persistentVolumeClaims, namespace: "default", placed)
        try await controller().reconcile(claimKey)
        #expect(claim("data")[path: ["spec", "volumeName"]] == "pv-b")
    }

    @Test func aVolumeWhoseClaimIsGoneIsReleasedAndRetained() async throws {
        try client.seed(.persistentVolumes, StorageFixtures.volume("pv1", phase: "Bound",
                                                                    claimRef: ["namespace": "default", "name": "gone", "uid": "u-1"]))
        try await controller().reconcile(ObjectKey(namespace: nil, name: "pv1"))
        #expect(volume("pv1")[path: ["status", "phase"]] == "Released")
        #expect(client.objects(.persistentVolumes).count == 1)
    }

    @Test func aReleasedUnprovisionedDeleteVolumeFails() async throws {
        try client.seed(.persistentVolumes, StorageFixtures.volume("pv1", phase: "Bound",
                                                                    claimRef: ["namespace": "default", "name": "gone", "uid": "u-1"],
                                                                    reclaim: "Delete"))
        try await controller().reconcile(ObjectKey(namespace: nil, name: "pv1"))
        #expect(volume("pv1")[path: ["status", "phase"]] == "Failed")
        #expect(volume("pv1")[path: ["status", "message"]]?.stringValue?.contains("no deletable volume plugin matched") == true)
    }

    @Test func aReleasedProvisionedDeleteVolumeWaitsForItsProvisioner() async throws {
        try client.seed(.persistentVolumes, StorageFixtures.volume(
            "pv1", phase: "Bound", claimRef: ["namespace": "default", "name": "gone", "uid": "u-1"], reclaim: "Delete",
            annotations: [StorageAnnotations.provisionedBy: "kyvern.io/local-path"]))
        try await controller().reconcile(ObjectKey(namespace: nil, name: "pv1"))
        #expect(volume("pv1")[path: ["status", "phase"]] == "Released")
    }

    @Test func aBoundClaimWhoseVolumeVanishedIsLost() async throws {
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", volumeName: "gone",
                                                                       annotations: [StorageAnnotations.bindCompleted: "yes"], phase: "Bound"))
        try await controller().reconcile(claimKey)
        #expect(claim("data")[path: ["status", "phase"]] == "Lost")
    }

    @Test func aFreeVolumeBecomesAvailable() async throws {
        try client.seed(.persistentVolumes, StorageFixtures.volume("pv1", phase: "Pending"))
        try await controller().reconcile(ObjectKey(namespace: nil, name: "pv1"))
        #expect(volume("pv1")[path: ["status", "phase"]] == "Available")
    }

    @Test func unchangedObjectsGiveNoWrite() {
        let volume = StorageFixtures.volume("pv1", phase: "Available")
        #expect(ClaimBinding.volumePhase(volume, "Available") == nil)
        #expect(ClaimBinding.claimPhase(StorageFixtures.claim("data"), "Pending") == nil)
        let bound = StorageFixtures.claim("data", volumeName: "pv1", annotations: [StorageAnnotations.bindCompleted: "yes"])
        #expect(ClaimBinding.claimBound(bound, to: volume) == nil)
    }

    @Test func aClaimBoundToAProvisionedVolumeRecordsItsProvisioner() throws {
        let volume = StorageFixtures.volume("pvc-1", annotations: [StorageAnnotations.provisionedBy: "kyvern.io/local-path"])
        let bound = try #require(ClaimBinding.claimBound(StorageFixtures.claim("data"), to: volume))
        #expect(bound.annotations[StorageAnnotations.storageProvisioner] == "kyvern.io/local-path")
        #expect(bound.annotations[StorageAnnotations.betaStorageProvisioner] == "kyvern.io/local-path")
        #expect(bound[path: ["spec", "volumeName"]] == "pvc-1")
    }
}
