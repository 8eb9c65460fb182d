import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernControllers

@Suite struct GarbageCollectorTests {
    let client = FakeClient()

    func make() -> (GarbageCollector, GraphFeeder) {
        let collector = GarbageCollector(client: client, resources: GCFixtures.resources)
        return (collector, GraphFeeder(client: client, collector: collector))
    }

    func create(_ object: JSONValue) async throws -> JSONValue {
        try await client.create(.configMaps, namespace: "default", object)
    }

    func exists(_ name: String) -> Bool { client.object(.configMaps, namespace: "default", name: name) != nil }

    @Test func backgroundDeletionCollectsTheDependent() async throws {
        let (_, feeder) = make()
        let owner = try await create(GCFixtures.configMap("owner"))
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(owner)]))
        try await feeder.settle()
        #expect(exists("dep"))
        try await client.delete(.configMaps, namespace: "default", name: "owner",
                                options: DeleteOptions(propagationPolicy: .background))
        try await feeder.settle()
        #expect(!exists("owner"))
        #expect(!exists("dep"))
    }

    @Test func dependentWithALiveOwnerLosesOnlyTheDanglingReference() async throws {
        let (_, feeder) = make()
        let keep = try await create(GCFixtures.configMap("keep"))
        let gone = try await create(GCFixtures.configMap("gone"))
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(keep), GCFixtures.ownerRef(gone)]))
        try await feeder.settle()
        try await client.delete(.configMaps, namespace: "default", name: "gone")
        try await feeder.settle()
        let dep = try #require(client.object(.configMaps, namespace: "default", name: "dep"))
        #expect(dep[path: ["metadata", "ownerReferences"]] == .array([GCFixtures.ownerRef(keep)]))
    }

    @Test func afterARestartAnObjectWhoseOwnerUIDIsGoneIsCollected() async throws {
        // The owner was deleted while no collector ran; a fresh graph is built from lists.
        let owner = try await create(GCFixtures.configMap("owner"))
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(owner)]))
        try await client.delete(.configMaps, namespace: "default", name: "owner")
        // A new object with the owner's name but another uid is not the owner.
        _ = try await create(GCFixtures.configMap("owner"))
        let (_, feeder) = make()
        try await feeder.settle()
        #expect(!exists("dep"))
        #expect(exists("owner"))
    }

    @Test func ownerSeenOnlyThroughALiveGetKeepsItsDependent() async throws {
        let secret = try await client.create(.secrets, namespace: "default",
                                             ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"]])
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(secret)]))
        // Only config maps are in the graph: the Secret owner is checked with a GET and found.
        let collector = GarbageCollector(client: client, resources: GCFixtures.resources)
        let dep = try #require(client.object(.configMaps, namespace: "default", name: "dep"))
        let uids = await collector.observe(.added(dep), resource: GCFixtures.configMaps)
        #expect(uids == [dep[path: ["metadata", "uid"]]?.stringValue])
        _ = try await collector.process(uid: uids[0])
        #expect(exists("dep"))
    }

    @Test func foregroundDeletionKeepsTheOwnerUntilBlockingDependentsAreGone() async throws {
        let (_, feeder) = make()
        let owner = try await create(GCFixtures.configMap("owner"))
        // The dependent holds a finalizer of its own, so it lingers after its deletion.
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(owner, block: true)],
                                                   finalizers: ["example.com/hold"]))
        try await feeder.settle()
        try await client.delete(.configMaps, namespace: "default", name: "owner",
                                options: DeleteOptions(propagationPolicy: .foreground))
        try await feeder.settle()
        let held = try #require(client.object(.configMaps, namespace: "default", name: "owner"))
        #expect(held[path: ["metadata", "finalizers"]] == ["foregroundDeletion"])
        let dep = try #require(client.object(.configMaps, namespace: "default", name: "dep"))
        #expect(dep[path: ["metadata", "deletionTimestamp"]] != nil)

        _ = try await client.patch(.configMaps, namespace: "default", name: "dep", type: .merge,
                                   ["metadata": ["finalizers": .null]])
        try await feeder.settle()
        #expect(!exists("dep"))
        #expect(!exists("owner"))
    }

    @Test func foregroundDeletionDoesNotWaitForNonBlockingDependents() async throws {
        let (_, feeder) = make()
        let owner = try await create(GCFixtures.configMap("owner"))
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(owner, block: false)],
                                                   finalizers: ["example.com/hold"]))
        try await feeder.settle()
        try await client.delete(.configMaps, namespace: "default", name: "owner",
                                options: DeleteOptions(propagationPolicy: .foreground))
        try await feeder.settle()
        #expect(!exists("owner"))
        let dep = try #require(client.object(.configMaps, namespace: "default", name: "dep"))
        #expect(dep[path: ["metadata", "deletionTimestamp"]] != nil)
    }

    @Test func orphanDeletionStripsTheReferenceAndThenTheFinalizer() async throws {
        let (_, feeder) = make()
        let owner = try await create(GCFixtures.configMap("owner"))
        let other = try await create(GCFixtures.configMap("other"))
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(owner), GCFixtures.ownerRef(other)]))
        _ = try await create(GCFixtures.configMap("only", owners: [GCFixtures.ownerRef(owner)]))
        try await feeder.settle()
        try await client.delete(.configMaps, namespace: "default", name: "owner",
                                options: DeleteOptions(propagationPolicy: .orphan))
        try await feeder.settle()
        #expect(!exists("owner"))
        let dep = try #require(client.object(.configMaps, namespace: "default", name: "dep"))
        #expect(dep[path: ["metadata", "ownerReferences"]] == .array([GCFixtures.ownerRef(other)]))
        let only = try #require(client.object(.configMaps, namespace: "default", name: "only"))
        #expect(only[path: ["metadata", "ownerReferences"]] == nil)
    }

    @Test func unknownOwnerKindIsAnErrorSoTheItemIsRetried() async throws {
        let owner: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget",
                                "metadata": ["name": "w", "uid": "widget-uid"]]
        _ = try await create(GCFixtures.configMap("dep", owners: [GCFixtures.ownerRef(owner)]))
        let (_, feeder) = make()
        await #expect(throws: GarbageCollector.UnknownOwnerKind.self) { try await feeder.settle() }
        #expect(exists("dep"))
    }
}
