import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

/// The binder's writes when its cache lags the API server: a conflict re-reads the object and
/// finishes the bind in the same sync, unless the fresh object forbids it.
@Suite struct PersistentVolumeBindConflictTests {
    let client = FakeClient()
    let claimKey = ObjectKey(namespace: "default", name: "data")

    /// The controller with caches as the API server has the objects now.
    func controller() -> PersistentVolumeController {
        PersistentVolumeController(
            client: client, claims: StaticCache(objects: client.objects(.persistentVolumeClaims)),
            volumes: StaticCache(objects: client.objects(.persistentVolumes)),
            classes: StaticCache(objects: client.objects(.storageClasses)), nodes: StaticCache(objects: client.objects(.nodes)),
            recorder: EventRecorder(client: client, component: PersistentVolumeController.component, logger: Logger(label: "test")),
            logger: Logger(label: "test"))
    }

    /// A WaitForFirstConsumer claim handed to the provisioner, and the provisioner's volume pre-bound to it.
    func seedProvisionedPair() throws -> JSONValue {
        try client.seed(.storageClasses, StorageFixtures.storageClass("local", binding: "WaitForFirstConsumer"))
        let claim = try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data", storageClass: "local", annotations: [
            StorageAnnotations.selectedNode: "a", StorageAnnotations.storageProvisioner: "kyvern.io/local-path",
        ]))[0]
        try client.seed(.persistentVolumes, StorageFixtures.volume("pvc-data", storageClass: "local",
                                                                   claimRef: StorageFixtures.ref(to: claim), node: "a"))
        return claim
    }

    /// Someone (here: the test) writes the claim after the cache saw it.
    func touchClaim(_ edit: (inout JSONValue) -> Void) async throws {
        var claim = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: "data"))
        edit(&claim)
        _ = try await client.update(.persistentVolumeClaims, namespace: "default", claim)
    }

    @Test func aStaleCachedClaimIsReReadAndBoundInTheSameSync() async throws {
        _ = try seedProvisionedPair()
        let binder = controller()
        try await touchClaim { $0[path: ["metadata", "labels", "later"]] = "yes" }
        client.clearActions()
        try await binder.reconcile(claimKey)
        let claim = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: "data"))
        #expect(claim[path: ["spec", "volumeName"]] == "pvc-data")
        #expect(claim.annotations[StorageAnnotations.bindCompleted] == "yes")
        #expect(claim[path: ["status", "phase"]] == "Bound")
        // The newer write is kept, not overwritten with the cached copy.
        #expect(claim.labels["later"] == "yes")
        #expect(client.object(.persistentVolumes, name: "pvc-data")?[path: ["status", "phase"]] == "Bound")
        // The cached copy's write conflicted; one read and the bind went on without a requeue.
        #expect(client.actions.filter { $0.resource == "persistentvolumeclaims" }.map(\.description) == [
            "update persistentvolumeclaims default/data", "get persistentvolumeclaims default/data",
            "update persistentvolumeclaims default/data", "update persistentvolumeclaims/status default/data",
        ])
    }

    @Test func aClaimThatMeanwhileNamesAnotherVolumeIsLeftToTheNextSync() async throws {
        _ = try seedProvisionedPair()
        let binder = controller()
        try await touchClaim { $0[path: ["spec", "volumeName"]] = "elsewhere" }
        await #expect(throws: APIError.self) { try await binder.reconcile(claimKey) }
        let claim = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: "data"))
        #expect(claim[path: ["spec", "volumeName"]] == "elsewhere")
        #expect(claim.annotations[StorageAnnotations.bindCompleted] == nil)
    }

    /// The binder as in production: its caches read through its own writes.
    func controllerOverOwnWrites() -> PersistentVolumeController {
        var binder = controller()
        let writes = OwnWrites()
        binder = PersistentVolumeController(
            client: client, claims: writes.cache(binder.claims, of: .persistentVolumeClaims),
            volumes: writes.cache(binder.volumes, of: .persistentVolumes), classes: binder.classes, nodes: binder.nodes,
            recorder: binder.recorder, logger: binder.logger, ownWrites: writes)
        return binder
    }

    @Test func syncsRightAfterABindSeeItsWritesNotTheCachesOlderCopies() async throws {
        _ = try seedProvisionedPair()
        // The caches keep showing the pair as it was before the bind, as an informer that lags.
        let binder = controllerOverOwnWrites()
        try await binder.reconcile(claimKey)
        #expect(client.object(.persistentVolumeClaims, namespace: "default", name: "data")?[path: ["status", "phase"]] == "Bound")
        #expect(client.object(.persistentVolumes, name: "pvc-data")?[path: ["status", "phase"]] == "Bound")
        client.clearActions()
        // The bind's own watch events enqueue the claim and its volume again at once.
        try await binder.reconcile(claimKey)
        try await binder.reconcile(ObjectKey(namespace: nil, name: "pvc-data"))
        #expect(client.actions.map(\.description) == [])
    }

    @Test func withoutItsOwnWritesTheSameSyncRepeatsTheBindsWrites() async throws {
        _ = try seedProvisionedPair()
        let binder = controller()
        try await binder.reconcile(claimKey)
        client.clearActions()
        // The reason for the overlay: on the lagging cache the next sync writes again, conflicts, re-reads.
        try await binder.reconcile(claimKey)
        #expect(client.actions.map(\.description).contains("get persistentvolumeclaims default/data"))
        #expect(client.actions.map(\.description).contains("get persistentvolumes pvc-data"))
    }
}
