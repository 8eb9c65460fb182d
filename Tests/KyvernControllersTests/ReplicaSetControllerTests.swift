import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct ReplicaSetControllerTests {
    static let now = Timestamp.parse("2026-01-01T01:00:00Z")!
    let key = ObjectKey(namespace: "default", name: "web")
    let client = FakeClient()

    /// Seeds `rs` and the pods `pods(ref)` builds (ref = the seeded ReplicaSet's controller
    /// reference), and returns a controller whose caches hold exactly the seeded objects.
    func setUp(_ rs: JSONValue, expectations: ControllerExpectations = ControllerExpectations(),
               pods: (JSONValue) -> [JSONValue] = { _ in [] },
               adjust: (inout [JSONValue]) -> Void = { _ in }) throws -> (ReplicaSetController, JSONValue) {
        let seeded = try client.seed(.replicaSets, rs)[0]
        for pod in pods(Pods.ref(to: seeded)) { _ = try client.seed(.pods, pod) }
        var cachedPods = client.objects(.pods)
        adjust(&cachedPods)
        let controller = ReplicaSetController(
            client: client, replicaSets: StaticCache(objects: client.objects(.replicaSets)),
            pods: StaticCache(objects: cachedPods), expectations: expectations, queue: nil,
            logger: Logger(label: "test"), now: { Self.now })
        return (controller, seeded)
    }

    func writes(_ verb: String, _ resource: String) -> [FakeClient.Action] {
        client.writes.filter { $0.verb == verb && $0.resource == resource && $0.subresource == nil }
    }

    var events: [JSONValue] { client.objects(.events, namespace: "default") }

    @Test func anUnchangedStatusIsNotWrittenAgain() async throws {
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 0))
        try await controller.reconcile(key)
        let statusWrites = client.writes.filter { $0.subresource == "status" }
        #expect(statusWrites.count == 1)
        // The cache now holds the written status: a second pass has nothing to write.
        let (again, _) = (ReplicaSetController(
            client: client, replicaSets: StaticCache(objects: client.objects(.replicaSets)),
            pods: StaticCache(objects: client.objects(.pods)), queue: nil, logger: Logger(label: "test"),
            now: { Self.now }), ())
        try await again.reconcile(key)
        #expect(client.writes.filter { $0.subresource == "status" }.count == 1)
    }

    @Test func createsMissingPodsFromTemplateWithControllerRef() async throws {
        let expectations = ControllerExpectations()
        let (controller, rs) = try setUp(Pods.replicaSet("web", replicas: 3), expectations: expectations)
        try await controller.reconcile(key)

        let pods = client.objects(.pods, namespace: "default")
        #expect(pods.count == 3)
        for pod in pods {
            #expect(pod.generateName == "web-")
            #expect(pod.name!.hasPrefix("web-"))
            #expect(pod.labels == ["app": "web"])
            #expect(pod.ownerReferences == [Pods.ref(to: rs)])
            #expect(pod["spec"] == rs[path: ["spec", "template", "spec"]])
        }
        await controller.podControl.recorder.flush()  // events are written asynchronously
        #expect(events.map { $0["reason"] } == ["SuccessfulCreate", "SuccessfulCreate", "SuccessfulCreate"])
        #expect(Set(events.compactMap { $0["message"]?.stringValue }) == Set(pods.map { "Created pod: \($0.name!)" }))
        for event in events {
            #expect(event["involvedObject"] == ["kind": "ReplicaSet", "namespace": "default", "name": "web",
                                                "apiVersion": "apps/v1", "uid": .string(rs.uid!),
                                                "resourceVersion": .string(rs.resourceVersion!)])
            #expect(event["source"] == ["component": "replicaset-controller"])
            #expect(event["type"] == "Normal")
            #expect(event.name!.hasPrefix("web."))
        }
        #expect(await expectations.pendingCounts("default/web")! == (3, 0))
        // No pod observed yet, but the generation is.
        #expect(client.object(.replicaSets, namespace: "default", name: "web")?["status"]
            == ["replicas": 0, "terminatingReplicas": 0, "observedGeneration": 1])
        #expect(writes("update", "replicasets").isEmpty)
    }

    @Test func waitsForOwnCreationsBeforeActingAgain() async throws {
        let expectations = ControllerExpectations()
        await expectations.expectCreations("default/web", 3)
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 3), expectations: expectations)
        try await controller.reconcile(key)
        #expect(writes("create", "pods").isEmpty)
    }

    @Test func slowStartStopsAtQuotaErrorAndReportsFailure() async throws {
        let quota = APIError(code: 403, reason: "Forbidden",
                             message: "pods \"web-abcde\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1")
        let expectations = ControllerExpectations()
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 10), expectations: expectations)
        // The first create succeeds, every later one is refused.
        client.failNext(100, verb: "create", resource: "pods", with: quota)
        client.prependReactor(verb: "create", resource: "pods", times: 1) { _ in nil }
        await #expect(throws: APIError.self) { try await controller.reconcile(key) }

        // Batch of 1 succeeds, the batch of 2 fails: 3 attempts, not 10.
        #expect(writes("create", "pods").count == 3)
        #expect(client.objects(.pods).count == 1)
        // The two identical refusals are one Event counted twice (upstream's event correlation).
        await controller.podControl.recorder.flush()  // events are written asynchronously
        let failed = events.filter { $0["reason"] == "FailedCreate" }
        #expect(failed.count == 1)
        #expect(failed.first?["count"] == 2)
        #expect(failed.allSatisfy { $0["type"] == "Warning" && $0["message"]?.stringValue == "Error creating: \(quota.message)" })
        // The one success is still awaited; the 9 never observed are given up.
        #expect(await expectations.pendingCounts("default/web")! == (1, 0))
        let status = try #require(client.object(.replicaSets, namespace: "default", name: "web")?["status"])
        #expect(status["conditions"] == [[
            "type": "ReplicaFailure", "status": "True", "lastTransitionTime": "2026-01-01T01:00:00Z",
            "reason": "FailedCreate", "message": .string(quota.message),
        ]])
    }

    @Test func deletesSurplusPodsLeastValuableFirst() async throws {
        let expectations = ControllerExpectations()
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 2), expectations: expectations) { owner in [
            Pods.pod("ready-old", node: "n1", phase: "Running", ready: true, readySince: "2026-01-01T00:00:00Z", owner: owner),
            Pods.pod("unscheduled", owner: owner),
            Pods.pod("ready-new", node: "n2", phase: "Running", ready: true, readySince: "2026-01-01T00:59:00Z", owner: owner),
            Pods.pod("pending", node: "n3", owner: owner),
            Pods.pod("not-ready", node: "n4", phase: "Running", owner: owner),
        ] }
        try await controller.reconcile(key)
        #expect(Set(writes("delete", "pods").compactMap(\.name)) == ["unscheduled", "pending", "not-ready"])
        await controller.podControl.recorder.flush()  // events are written asynchronously
        #expect(Set(events.filter { $0["reason"] == "SuccessfulDelete" }.compactMap { $0["message"]?.stringValue })
            == ["Deleted pod: unscheduled", "Deleted pod: pending", "Deleted pod: not-ready"])
        #expect(await expectations.pendingCounts("default/web")! == (0, 3))
    }

    /// The pod cache as a sync sees it when an event lands mid-sync: `list` still shows the pods as
    /// the sync first read them, `get` already shows the latest event.
    struct RacedCache: ObjectCache {
        var listed: [JSONValue]
        var current: [JSONValue]
        func get(namespace: String?, name: String) async -> JSONValue? {
            current.first { $0.namespace == namespace && $0.name == name }
        }
        func list(namespace: String?) async -> [JSONValue] {
            listed.filter { namespace == nil || $0.namespace == namespace }
        }
    }

    @Test func aVictimEvictedMeanwhileCountsAsObservedSoTheSetCanScaleAgain() async throws {
        // Scaled to 1 while the taint eviction controller deletes "evicted" on a dead node: the
        // sync picks it as the victim from its first read, but its deletion event has already
        // passed, and deleting a terminating pod writes nothing, so no later event would come.
        let rs = try client.seed(.replicaSets, Pods.replicaSet("web", replicas: 1))[0]
        let owner = Pods.ref(to: rs)
        let kept = try client.seed(.pods, Pods.pod("kept", node: "n1", phase: "Running", ready: true,
                                                   readySince: "2026-01-01T00:00:00Z", owner: owner))[0]
        let victim = try client.seed(.pods, Pods.pod("evicted", node: "dead", phase: "Running", owner: owner))[0]
        var terminating = victim
        terminating[path: ["metadata", "deletionTimestamp"]] = "2026-01-01T00:59:59Z"
        let expectations = ControllerExpectations()
        let controller = ReplicaSetController(
            client: client, replicaSets: StaticCache(objects: client.objects(.replicaSets)),
            pods: RacedCache(listed: [kept, victim], current: [kept, terminating]), expectations: expectations,
            queue: nil, logger: Logger(label: "test"), now: { Self.now })
        try await controller.reconcile(key)
        #expect(writes("delete", "pods").compactMap(\.name) == ["evicted"])
        #expect(await expectations.pendingCounts("default/web")! == (0, 0))
        #expect(await expectations.satisfied("default/web"))
    }

    @Test func adoptsMatchingOrphansAndReleasesNonMatchingPods() async throws {
        let (controller, rs) = try setUp(Pods.replicaSet("web", replicas: 2)) { owner in [
            Pods.pod("orphan"),
            Pods.pod("relabelled", labels: ["app": "other"], owner: owner),
            Pods.pod("owned", owner: owner),
            Pods.pod("foreign", owner: ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "x", "uid": "x",
                                        "controller": true]),
        ] }
        try await controller.reconcile(key)
        #expect(Set(writes("patch", "pods").compactMap(\.name)) == ["orphan", "relabelled"])
        let orphan = try #require(client.object(.pods, namespace: "default", name: "orphan"))
        #expect(orphan.ownerReferences == [Pods.ref(to: rs)])
        let released = try #require(client.object(.pods, namespace: "default", name: "relabelled"))
        #expect(released.ownerReferences == [])
        // orphan + owned make 2: nothing created or deleted.
        #expect(writes("create", "pods").isEmpty && writes("delete", "pods").isEmpty)
        #expect(client.object(.replicaSets, namespace: "default", name: "web")?[path: ["status", "replicas"]] == 2)
    }

    @Test func adoptionRefusedWhenReplicaSetWasReplaced() async throws {
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 1)) { _ in [Pods.pod("orphan")] }
        // The API now holds another ReplicaSet of the same name.
        try await client.delete(.replicaSets, namespace: "default", name: "web")
        _ = try client.seed(.replicaSets, Pods.replicaSet("web", replicas: 1))
        await #expect(throws: APIError.self) { try await controller.reconcile(key) }
        #expect(writes("patch", "pods").isEmpty)
    }

    @Test func terminatingPodsAreReplacedAndCountedApart() async throws {
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 2),
                                        pods: { owner in [Pods.pod("a", owner: owner), Pods.pod("b", owner: owner)] },
                                        adjust: { pods in pods[1].deletionTimestamp = "2026-01-01T00:59:00Z" })
        try await controller.reconcile(key)
        #expect(writes("create", "pods").count == 1)
        let status = client.object(.replicaSets, namespace: "default", name: "web")?["status"]
        #expect(status?["replicas"] == 1)
        #expect(status?["terminatingReplicas"] == 1)
    }

    @Test func statusWrittenOnlyWhenChanged() async throws {
        let steady: JSONValue = ["replicas": 1, "fullyLabeledReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                                 "terminatingReplicas": 0, "observedGeneration": 1]
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 1, status: steady)) { owner in
            [Pods.pod("a", node: "n", phase: "Running", ready: true, owner: owner)]
        }
        try await controller.reconcile(key)
        #expect(client.writes.isEmpty)
    }

    @Test func readyAndAvailableCountsReachStatus() async throws {
        let (controller, _) = try setUp(Pods.replicaSet("web", replicas: 2, minReadySeconds: 30)) { owner in [
            Pods.pod("a", node: "n", phase: "Running", ready: true, readySince: "2026-01-01T00:00:00Z", owner: owner),
            Pods.pod("b", node: "n", phase: "Running", ready: true, readySince: "2026-01-01T00:59:50Z", owner: owner),
        ] }
        try await controller.reconcile(key)
        #expect(client.object(.replicaSets, namespace: "default", name: "web")?["status"] == [
            "replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 1,
            "terminatingReplicas": 0, "observedGeneration": 1,
        ])
        #expect(writes("update", "replicasets").isEmpty)
    }

    @Test func deletedReplicaSetForgetsExpectations() async throws {
        let expectations = ControllerExpectations()
        await expectations.expectCreations("default/web", 2)
        let controller = ReplicaSetController(
            client: client, replicaSets: StaticCache(objects: []), pods: StaticCache(objects: []),
            expectations: expectations, queue: nil, logger: Logger(label: "test"))
        try await controller.reconcile(key)
        #expect(await expectations.pendingCounts("default/web") == nil)
        #expect(client.writes.isEmpty)
    }
}
