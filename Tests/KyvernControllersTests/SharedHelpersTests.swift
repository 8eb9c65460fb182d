import Foundation
import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct SharedHelpersTests {
    let now = Timestamp.parse("2026-01-01T01:00:00Z")!

    @Test func slowStartRunsDoublingBatchesAndStopsAtFirstFailure() async {
        let seen = Recorder()
        let (ok, error) = await slowStartBatch(count: 20) { i in
            await seen.add(i)
            if i == 5 { throw APIError(code: 403, reason: "Forbidden", message: "quota") }
        }
        // Batches 1, 2, 4 (indices 0...6) run; the batch holding index 5 fails; 8 never starts.
        #expect(await seen.values.sorted() == Array(0...6))
        #expect(ok == 6)
        #expect((error as? APIError)?.message == "quota")
        let (all, none) = await slowStartBatch(count: 7) { _ in }
        #expect(all == 7 && none == nil)
    }

    @Test func expectationsBlockUntilObservedOrExpired() async {
        let clock = TestClock(Date(timeIntervalSince1970: 0))
        let e = ControllerExpectations(timeout: .seconds(300), now: { clock.now })
        #expect(await e.satisfied("ns/rs"))
        await e.expectCreations("ns/rs", 2)
        #expect(await !e.satisfied("ns/rs"))
        await e.creationObserved("ns/rs")
        #expect(await !e.satisfied("ns/rs"))
        await e.creationObserved("ns/rs")
        #expect(await e.satisfied("ns/rs"))

        await e.expectDeletions("ns/rs", podKeys: ["ns/a", "ns/b"])
        await e.deletionObserved("ns/rs", podKey: "ns/other")
        await e.deletionObserved("ns/rs", podKey: "ns/a")
        await e.deletionObserved("ns/rs", podKey: "ns/a")
        #expect(await e.pendingCounts("ns/rs")! == (0, 1))
        #expect(await !e.satisfied("ns/rs"))
        clock.now = Date(timeIntervalSince1970: 301)
        #expect(await e.satisfied("ns/rs"))
        await e.delete("ns/rs")
        #expect(await e.pendingCounts("ns/rs") == nil)
    }

    @Test func podFromTemplateCarriesTemplateAndControllerRef() {
        let rs = Pods.replicaSet("web")
        let ref = ControllerRef(owner: rs, apiVersion: "apps/v1", kind: "ReplicaSet")
        var template = rs[path: ["spec", "template"]]!
        template[path: ["metadata", "annotations"]] = ["a": "b"]
        let pod = PodTemplate.pod(from: template, namespace: "default", ownerName: "web", controllerRef: ref)
        #expect(pod.generateName == "web-")
        #expect(pod.namespace == "default")
        #expect(pod.labels == ["app": "web"])
        #expect(pod.annotations == ["a": "b"])
        #expect(pod.ownerReferences == [Pods.ref(to: rs)])
        #expect(pod["spec"] == rs[path: ["spec", "template", "spec"]])
        #expect(PodTemplate.generateNamePrefix(String(repeating: "a", count: 253)) == String(repeating: "a", count: 253))
    }

    @Test func claimDecisions() {
        let rs = Pods.replicaSet("web")
        let mine = Pods.pod("a", owner: Pods.ref(to: rs))
        let theirs = Pods.pod("b", owner: ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "x", "uid": "other", "controller": true])
        let orphan = Pods.pod("c")
        func decide(_ p: JSONValue, matches: Bool, deleting: Bool = false) -> ClaimDecision {
            ClaimDecision.decide(for: p, ownerUID: rs.uid!, ownerDeleting: deleting, ownerNamespace: "default", matches: matches)
        }
        #expect(decide(mine, matches: true) == .owned)
        #expect(decide(mine, matches: false) == .release)
        #expect(decide(mine, matches: false, deleting: true) == .ignore)
        #expect(decide(theirs, matches: true) == .ignore)
        #expect(decide(orphan, matches: true) == .adopt)
        #expect(decide(orphan, matches: false) == .ignore)
        #expect(decide(orphan, matches: true, deleting: true) == .ignore)
        #expect(decide(Pods.pod("d", deleting: true), matches: true) == .ignore)
        #expect(decide(Pods.pod("e", namespace: "other"), matches: true) == .ignore)
    }

    @Test func deletionRankingFollowsUpstreamOrder() {
        let running = { (name: String, node: String, readySince: String) in
            Pods.pod(name, node: node, phase: "Running", ready: true, readySince: readySince)
        }
        let pods = [
            running("old-ready", "n1", "2026-01-01T00:00:00Z"),
            Pods.pod("unscheduled"),
            Pods.pod("pending", node: "n2"),
            Pods.pod("running-not-ready", node: "n3", phase: "Running"),
            running("new-ready", "n4", "2026-01-01T00:59:59Z"),
            Pods.pod("costly", node: "n5", phase: "Running", ready: true, readySince: "2026-01-01T00:59:59Z",
                     annotations: [PodDeletionRanking.deletionCostAnnotation: "100"]),
            Pods.pod("cheap", node: "n6", phase: "Running", ready: true, readySince: "2026-01-01T00:00:00Z",
                     annotations: [PodDeletionRanking.deletionCostAnnotation: "-5"]),
        ]
        let order = PodDeletionRanking.sorted(pods, related: pods, now: now).map { $0.name! }
        #expect(order == ["unscheduled", "pending", "running-not-ready", "cheap", "new-ready", "old-ready", "costly"])
    }

    @Test func deletionRankingPrefersDoubledUpRestartedAndNewer() {
        let a = Pods.pod("a", node: "n1", phase: "Running", created: "2026-01-01T00:00:00Z")
        let b = Pods.pod("b", node: "n1", phase: "Running", created: "2026-01-01T00:00:00Z")
        let c = Pods.pod("c", node: "n2", phase: "Running", created: "2026-01-01T00:00:00Z")
        #expect(PodDeletionRanking.sorted([c, a], related: [a, b, c], now: now).map(\.name) == ["a", "c"])
        let restarted = Pods.pod("r", node: "n2", phase: "Running", restarts: 3)
        #expect(PodDeletionRanking.sorted([c, restarted], related: [], now: now).map(\.name) == ["r", "c"])
        let newer = Pods.pod("new", node: "n3", phase: "Running", created: "2026-01-01T00:59:00Z")
        #expect(PodDeletionRanking.sorted([c, newer], related: [], now: now).map(\.name) == ["new", "c"])
    }

    @Test func availabilityHonoursMinReadySeconds() {
        let pod = Pods.pod("a", phase: "Running", ready: true, readySince: "2026-01-01T00:59:50Z")
        #expect(PodState.isAvailable(pod, minReadySeconds: 0, now: now))
        #expect(PodState.isAvailable(pod, minReadySeconds: 5, now: now))
        #expect(!PodState.isAvailable(pod, minReadySeconds: 10, now: now))
        #expect(!PodState.isAvailable(Pods.pod("b", phase: "Running"), minReadySeconds: 0, now: now))
        #expect(PodState.isActive(pod))
        #expect(!PodState.isActive(Pods.pod("c", deleting: true)))
        #expect(PodState.isTerminating(Pods.pod("c", deleting: true)))
        #expect(!PodState.isActive(Pods.pod("d", phase: "Succeeded")))
    }
}

actor Recorder {
    var values: [Int] = []
    func add(_ v: Int) { values.append(v) }
}

final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ start: Date) { value = start }
    var now: Date {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
