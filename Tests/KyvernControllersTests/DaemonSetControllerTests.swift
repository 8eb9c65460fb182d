import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct DaemonSetControllerTests {
    static let now = Timestamp.parse("2026-01-01T01:00:00Z")!
    let key = ObjectKey(namespace: "default", name: "agent")
    let client = FakeClient()

    /// A controller whose caches hold exactly what the fake client holds now.
    func controller(expectations: ControllerExpectations = ControllerExpectations(),
                    backoff: FailedPodBackoff = FailedPodBackoff()) -> DaemonSetController {
        DaemonSetController(client: client, daemonSets: StaticCache(objects: client.objects(.daemonSets)),
                            pods: StaticCache(objects: client.objects(.pods)), nodes: StaticCache(objects: client.objects(.nodes)),
                            revisions: StaticCache(objects: client.objects(.controllerRevisions)),
                            expectations: expectations, failedPodBackoff: backoff, queue: nil, logger: Logger(label: "test"), now: { Self.now })
    }

    func seedNodes(_ names: [String]) throws {
        for name in names { _ = try client.seed(.nodes, Daemons.node(name)) }
    }

    @Test func createsOnePinnedPodPerNodeAndTheFirstRevision() async throws {
        try seedNodes(["n1", "n2", "n3"])
        _ = try client.seed(.nodes, Daemons.node("tainted", taints: [Daemons.taint("dedicated", "NoSchedule")]))
        let ds = try client.seed(.daemonSets, Daemons.daemonSet())[0]
        try await controller().reconcile(key)

        let revisions = client.objects(.controllerRevisions, namespace: "default")
        #expect(revisions.count == 1)
        let revision = try #require(revisions.first)
        let hash = try #require(revision.labels["controller-revision-hash"])
        #expect(revision.name == "agent-\(hash)")
        #expect(revision["revision"] == 1)
        #expect(revision.labels == ["app": "agent", "controller-revision-hash": hash])
        #expect(revision.ownerReferences == [Daemons.ref(to: ds)])
        var expectedTemplate = ds[path: ["spec", "template"]]!
        expectedTemplate["$patch"] = "replace"
        #expect(revision["data"] == ["spec": ["template": expectedTemplate]])

        let pods = client.objects(.pods, namespace: "default")
        #expect(pods.compactMap { DaemonPodSpec.targetNode(of: $0) }.sorted() == ["n1", "n2", "n3"])
        for pod in pods {
            #expect(pod.generateName == "agent-")
            #expect(pod.labels == ["app": "agent", "controller-revision-hash": hash])
            #expect(pod.ownerReferences == [Daemons.ref(to: ds)])
            #expect(pod[path: ["spec", "tolerations"]]?.arrayValue?.count == 6)
        }
        let status = try #require(client.object(.daemonSets, namespace: "default", name: "agent")?["status"])
        #expect(status == ["desiredNumberScheduled": 3, "currentNumberScheduled": 0, "numberMisscheduled": 0,
                           "numberReady": 0, "numberUnavailable": 3, "observedGeneration": 1])
    }

    @Test func aChangedTemplateGetsTheNextRevisionAndReplacesOnePodAtATime() async throws {
        try seedNodes(["n1", "n2", "n3"])
        _ = try client.seed(.daemonSets, Daemons.daemonSet())
        try await controller().reconcile(key)
        let oldHash = try #require(client.objects(.controllerRevisions).first?.labels["controller-revision-hash"])
        // The pods are up and ready; then the image changes.
        for pod in client.objects(.pods) {
            var ready = pod
            ready[path: ["spec", "nodeName"]] = .string(DaemonPodSpec.targetNode(of: pod) ?? "")
            ready["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True",
                                                                  "lastTransitionTime": "2026-01-01T00:00:00Z"]]]
            ready = try await client.update(.pods, namespace: "default", ready)
            ready["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True",
                                                                  "lastTransitionTime": "2026-01-01T00:00:00Z"]]]
            _ = try await client.updateStatus(.pods, namespace: "default", ready)
        }
        var ds = try #require(client.object(.daemonSets, namespace: "default", name: "agent"))
        ds[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": "agent:2"]]
        ds.generation = 2
        _ = try await client.update(.daemonSets, namespace: "default", ds)
        client.clearActions()
        try await controller().reconcile(key)

        let revisions = ControllerHistory.sortedByNumber(client.objects(.controllerRevisions))
        #expect(revisions.map { ControllerHistory.number($0) } == [1, 2])
        #expect(revisions[0].labels["controller-revision-hash"] == oldHash)
        let deletes = client.writes.filter { $0.verb == "delete" && $0.resource == "pods" }
        #expect(deletes.count == 1)
        let status = try #require(client.object(.daemonSets, namespace: "default", name: "agent")?["status"])
        #expect(status["updatedNumberScheduled"] == nil)
        #expect(status["numberAvailable"] == 3 && status["observedGeneration"] == 2)
    }

    @Test func onDeleteLeavesOldPodsAlone() async throws {
        try seedNodes(["n1"])
        let ds = try client.seed(.daemonSets, Daemons.daemonSet(strategy: ["type": "OnDelete"]))[0]
        _ = try client.seed(.pods, Daemons.pod("old", of: ds, node: "n1", hash: "stale"))
        try await controller().reconcile(key)
        #expect(client.writes.filter { $0.resource == "pods" }.isEmpty)
        let status = try #require(client.object(.daemonSets, namespace: "default", name: "agent")?["status"])
        #expect(status["currentNumberScheduled"] == 1 && status["updatedNumberScheduled"] == nil)
    }

    @Test func rollbackRenumbersTheMatchingOldRevision() async throws {
        try seedNodes(["n1"])
        let ds = try client.seed(.daemonSets, Daemons.daemonSet())[0]
        let history = ControllerHistory(client: client, revisions: StaticCache(objects: []), ownerResource: .daemonSets,
                                        ref: ControllerRef(owner: ds, apiVersion: "apps/v1", kind: "DaemonSet"))
        var other = ds
        other[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": "agent:2"]]
        _ = try client.seed(.controllerRevisions,
            history.revision(owner: ds, hash: "one", templateLabels: ["app": "agent"],
                             data: DaemonSetController.revisionData(ds), number: 1),
            history.revision(owner: ds, hash: "two", templateLabels: ["app": "agent"],
                             data: DaemonSetController.revisionData(other), number: 2))
        try await controller().reconcile(key)
        let numbers = client.objects(.controllerRevisions).map { ($0.name ?? "", ControllerHistory.number($0)) }
            .sorted { $0.0 < $1.0 }
        #expect(numbers.map(\.0) == ["agent-one", "agent-two"] && numbers.map(\.1) == [3, 2])
        #expect(client.objects(.pods).first?.labels["controller-revision-hash"] == "one")
    }

    @Test func waitsForExpectedCreationsBeforeActingAgain() async throws {
        try seedNodes(["n1", "n2"])
        _ = try client.seed(.daemonSets, Daemons.daemonSet())
        let expectations = ControllerExpectations()
        await expectations.expectCreations(key.description, 2)
        try await controller(expectations: expectations).reconcile(key)
        #expect(client.objects(.pods).isEmpty)
        #expect(client.object(.daemonSets, namespace: "default", name: "agent")?[path: ["status", "desiredNumberScheduled"]] == 2)
    }

    @Test func failedPodsAreDeletedWithBackoffPerNode() async throws {
        try seedNodes(["n1"])
        let ds = try client.seed(.daemonSets, Daemons.daemonSet())[0]
        // Of the current revision, so the rolling update leaves them to the manage step.
        let hash = PodTemplateHash.compute(template: ds[path: ["spec", "template"]]!, collisionCount: nil)
        _ = try client.seed(.pods, Daemons.pod("first", of: ds, node: "n1", hash: hash, ready: false, phase: "Failed"))
        let backoff = FailedPodBackoff()
        try await controller(backoff: backoff).reconcile(key)
        #expect(client.objects(.pods).map { $0.name } == [])
        // The replacement fails too, within the second of backoff: it is left for now.
        _ = try client.seed(.pods, Daemons.pod("second", of: ds, node: "n1", hash: hash, ready: false, phase: "Failed"))
        client.clearActions()
        try await controller(backoff: backoff).reconcile(key)
        #expect(client.objects(.pods).map { $0.name } == ["second"])
        #expect(client.writes.filter { $0.resource == "pods" }.isEmpty)
        #expect(await backoff.remaining(FailedPodBackoff.key(dsUID: ds.uid!, generation: 1, node: "n1"), now: Self.now) == 1)
        #expect(await backoff.remaining("other", now: Self.now) == nil)
    }
}
