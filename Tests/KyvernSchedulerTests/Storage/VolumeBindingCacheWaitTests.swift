import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernScheduler

/// PreBind waiting on the scheduler's cached claims and volumes (``StorageUpdates``): woken by
/// informer events, no API reads while waiting, and not fooled by a cache that has not yet shown
/// PreBind's own write.
@Suite struct VolumeBindingCacheWaitTests {
    typealias F = VolumeFixtures

    /// A fake API server, the cache the test feeds as the scheduler's informers would, and the plugin.
    struct Cluster {
        let client = FakeClient()
        let updates = StorageUpdates()
        let plugin: VolumeBinding

        init(claims: [JSONValue], volumes: [JSONValue] = [], bindTimeout: Duration = .seconds(5)) throws {
            for claim in claims { try client.seed(.persistentVolumeClaims, claim) }
            for volume in volumes { try client.seed(.persistentVolumes, volume) }
            try client.seed(.storageClasses, F.storageClass("local"))
            // A long poll interval: only an event can end a wait quickly.
            plugin = VolumeBinding(client: client, bindTimeout: bindTimeout, pollInterval: .seconds(30), updates: updates)
            for claim in client.objects(.persistentVolumeClaims) { updates.record(.added(claim), claim: true) }
            for volume in client.objects(.persistentVolumes) { updates.record(.added(volume), claim: false) }
        }

        /// PreFilter then Reserve on node "a", as the scheduling cycle leaves them for PreBind.
        func reserve(_ pod: JSONValue) -> CycleState {
            let storage = StorageObjects(claims: client.objects(.persistentVolumeClaims),
                                         volumes: client.objects(.persistentVolumes),
                                         classes: client.objects(.storageClasses))
            let snapshot = Snapshot(nodes: [F.node("a")], pods: [], cluster: ClusterContext(storage: storage))
            var state = CycleState(snapshot: snapshot)
            #expect(plugin.preFilter(state: &state, pod: pod, nodes: snapshot.nodes).isSuccess)
            #expect(plugin.reserve(state: &state, pod: pod, nodeName: "a").isSuccess)
            return state
        }

        /// The claim as the API server has it now, also delivered to the cache.
        func deliverClaim(_ name: String) throws {
            let claim = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: name))
            updates.record(.updated(old: claim, new: claim), claim: true)
        }
    }

    /// Plays the binder on the API server only: the claim Bound to `volume`.
    static func bind(_ client: FakeClient, claim: String, volume: String) async throws {
        var current = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: claim))
        current[path: ["spec", "volumeName"]] = .string(volume)
        current[path: ["metadata", "annotations", "pv.kubernetes.io/bind-completed"]] = "yes"
        current = try await client.update(.persistentVolumeClaims, namespace: "default", current)
        current[path: ["status", "phase"]] = "Bound"
        _ = try await client.updateStatus(.persistentVolumeClaims, namespace: "default", current)
    }

    @Test func preBindReturnsWhenTheCacheShowsTheClaimBoundWithoutReadingTheAPI() async throws {
        let cluster = try Cluster(claims: [F.claim("data")])
        let pod = F.pod(claims: ["data"])
        let state = cluster.reserve(pod)
        cluster.client.clearActions()
        let client = cluster.client
        let binder = Task {
            // The binder acts once the scheduler's selected-node write reached the API server.
            while client.object(.persistentVolumeClaims, namespace: "default", name: "data")?
                .annotations["volume.kubernetes.io/selected-node"] == nil {
                try await Task.sleep(for: .milliseconds(2))
            }
            try cluster.deliverClaim("data")
            try await Self.bind(client, claim: "data", volume: "pvc-data")
            try cluster.deliverClaim("data")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let result = await cluster.plugin.preBind(state: state, pod: pod, nodeName: "a")
        try await binder.value
        #expect(result == .success)
        // Woken by the event, not by the 30 s poll interval.
        #expect(clock.now - start < .seconds(5))
        // PreBind's one write (the annotation, on the cycle's copy; the rest is the test's binder)
        // and no reads at all.
        #expect(cluster.client.actions.first?.description == "update persistentvolumeclaims default/data")
        #expect(cluster.client.actions.first?.body?.annotations["volume.kubernetes.io/selected-node"] == "a")
        #expect(!cluster.client.actions.contains { $0.verb == "get" })
    }

    @Test func aCacheNotYetShowingTheSelectedNodeIsNotTakenForTheProvisionerGivingUp() throws {
        var progress = VolumeBinding.CacheProgress()
        var volumes = PodVolumes()
        volumes.provisions = [F.claim("data")]
        let stale = StorageObjects(claims: [F.claim("data")])
        #expect(try progress.allBound(volumes, claims: ["default/data"], nodeName: "a", storage: stale) == false)
        var selected = F.claim("data")
        selected[path: ["metadata", "annotations", "volume.kubernetes.io/selected-node"]] = "a"
        #expect(try progress.allBound(volumes, claims: ["default/data"], nodeName: "a",
                                      storage: StorageObjects(claims: [selected])) == false)
        // Shown once, then gone: the provisioner gave the claim back.
        #expect(throws: VolumeBinding.BindError.self) {
            _ = try progress.allBound(volumes, claims: ["default/data"], nodeName: "a", storage: stale)
        }
        var bound = selected
        bound[path: ["spec", "volumeName"]] = "pvc-data"
        bound[path: ["status", "phase"]] = "Bound"
        var fresh = VolumeBinding.CacheProgress()
        #expect(try fresh.allBound(volumes, claims: ["default/data"], nodeName: "a",
                                   storage: StorageObjects(claims: [bound])) == true)
    }

    @Test func aVolumeClaimRefResetAfterTheCacheShowedItFailsTheBinding() throws {
        var progress = VolumeBinding.CacheProgress()
        var volumes = PodVolumes()
        volumes.staticBindings = [PodVolumes.StaticBinding(claim: F.claim("data"), volume: F.volume("pv-1"))]
        let free = StorageObjects(volumes: [F.volume("pv-1")])
        #expect(try progress.allBound(volumes, claims: ["default/data"], nodeName: "a", storage: free) == false)
        let taken = StorageObjects(volumes: [F.volume("pv-1", claimRef: ["namespace": "default", "name": "data", "uid": "u1"])])
        #expect(try progress.allBound(volumes, claims: ["default/data"], nodeName: "a", storage: taken) == false)
        do {
            _ = try progress.allBound(volumes, claims: ["default/data"], nodeName: "a", storage: free)
            Issue.record("a reset claimRef was not reported")
        } catch {
            #expect(error.message == "ClaimRef got reset for pv \"pv-1\"")
        }
    }

    @Test func preBindTimesOutOnTheCacheAsUpstreamSays() async throws {
        let cluster = try Cluster(claims: [F.claim("data")], bindTimeout: .milliseconds(50))
        let pod = F.pod(claims: ["data"])
        let state = cluster.reserve(pod)
        let result = await cluster.plugin.preBind(state: state, pod: pod, nodeName: "a")
        #expect(result == Status(.error, ["binding volumes: context deadline exceeded"]))
    }

    @Test func selectNodeRereadsTheClaimOnlyWhenTheCycleCopyIsStale() async throws {
        let cluster = try Cluster(claims: [F.claim("data")])
        let pod = F.pod(claims: ["data"])
        let state = cluster.reserve(pod)
        // Someone else wrote the claim after the cycle's snapshot.
        var newer = try #require(cluster.client.object(.persistentVolumeClaims, namespace: "default", name: "data"))
        newer[path: ["metadata", "labels", "touched"]] = "yes"
        _ = try await cluster.client.update(.persistentVolumeClaims, namespace: "default", newer)
        cluster.client.clearActions()
        let volumes = try #require(state.read(VolumeBinding.reservedKey, as: PodVolumes.self))
        try await cluster.plugin.selectNode("a", for: volumes.provisions[0])
        let claim = cluster.client.object(.persistentVolumeClaims, namespace: "default", name: "data")
        #expect(claim?.annotations["volume.kubernetes.io/selected-node"] == "a")
        #expect(claim?.labels["touched"] == "yes")
        #expect(cluster.client.actions.map(\.verb) == ["update", "get", "update"])
    }

    @Test func aWaitEndsOnAChangeOrItsTimeout() async throws {
        let updates = StorageUpdates()
        let clock = ContinuousClock()
        var start = clock.now
        await updates.wait(after: updates.current.generation, timeout: .milliseconds(30))
        #expect(clock.now - start >= .milliseconds(30))
        // A change recorded before the wait began ends it at once.
        let before = updates.current.generation
        updates.record(.added(F.claim("data")), claim: true)
        start = clock.now
        await updates.wait(after: before, timeout: .seconds(30))
        #expect(clock.now - start < .seconds(5))
        #expect(updates.current.storage.claim(namespace: "default", name: "data") != nil)
        // A change during the wait ends it.
        let waiter = Task { await updates.wait(after: updates.current.generation, timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(20))
        start = clock.now
        updates.record(.deleted(F.claim("data")), claim: true)
        await waiter.value
        #expect(clock.now - start < .seconds(5))
        #expect(updates.current.storage.claim(namespace: "default", name: "data") == nil)
    }
}
