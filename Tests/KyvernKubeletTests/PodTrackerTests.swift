import Foundation
import KyvernAPI
import Testing

@testable import KyvernKubelet

@Suite("Simulated fleet decisions")
struct PodTrackerTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    func tracker(nodes: Int = 3) -> PodTracker {
        let config = SimulatedNodeConfig(count: nodes)
        var index: [String: Int] = [:]
        for i in 0..<nodes { index[config.nodeName(i)] = i }
        return PodTracker(config: config, indexByName: index)
    }

    func status(of job: PodJob?) -> JSONValue? {
        if case .markRunning(let status) = job?.kind { return status }
        return nil
    }

    @Test func podsOnOtherNodesAreIgnored() {
        var tracker = tracker()
        #expect(tracker.observe(PodStatusBuilderTests.pod(node: "elsewhere"), now: now) == nil)
        #expect(tracker.observe(PodStatusBuilderTests.pod(node: "sim-3"), now: now) == nil)
        var unbound = PodStatusBuilderTests.pod()
        unbound[path: ["spec", "nodeName"]] = nil
        #expect(tracker.observe(unbound, now: now) == nil)
        #expect(tracker.known.isEmpty)
    }

    @Test func aBoundPodIsMarkedRunningWithAnAddressFromItsNodesRange() {
        var tracker = tracker()
        let job = tracker.observe(PodStatusBuilderTests.pod(node: "sim-1", uid: "a"), now: now)
        #expect(job?.namespace == "default")
        #expect(job?.name == "web")
        #expect(job?.uid == "a")
        #expect(status(of: job)?["podIP"] == "10.128.1.2")
        #expect(status(of: job)?["hostIP"] == "172.16.0.2")
        let second = tracker.observe(PodStatusBuilderTests.pod(node: "sim-1", uid: "b"), now: now)
        #expect(status(of: second)?["podIP"] == "10.128.1.3")
        // The same pod again (its own status write not seen yet) keeps its address.
        let again = tracker.observe(PodStatusBuilderTests.pod(node: "sim-1", uid: "a"), now: now)
        #expect(status(of: again)?["podIP"] == "10.128.1.2")
    }

    @Test func addressesAreReusedAfterDeletion() {
        var tracker = tracker()
        let pod = PodStatusBuilderTests.pod(node: "sim-0", uid: "a")
        _ = tracker.observe(pod, now: now)
        tracker.forget(pod)
        let next = tracker.observe(PodStatusBuilderTests.pod(node: "sim-0", uid: "b"), now: now)
        #expect(status(of: next)?["podIP"] == "10.128.0.2")
    }

    @Test func addressesPodsAlreadyCarryAreKept() {
        var tracker = tracker()
        let running = PodStatusBuilder.running(pod: PodStatusBuilderTests.pod(node: "sim-2", uid: "old"),
                                               hostIP: "172.16.0.3", podIP: "10.128.2.2", now: now)
        #expect(tracker.observe(PodStatusBuilderTests.pod(node: "sim-2", uid: "old", status: running), now: now) == nil)
        let fresh = tracker.observe(PodStatusBuilderTests.pod(node: "sim-2", uid: "new"), now: now)
        #expect(status(of: fresh)?["podIP"] == "10.128.2.3")
    }

    @Test func aTerminatingPodIsStoppedThenDeleted() {
        var tracker = tracker()
        let running = PodStatusBuilder.running(pod: PodStatusBuilderTests.pod(), hostIP: "h", podIP: "10.128.1.2", now: now)
        let job = tracker.observe(PodStatusBuilderTests.pod(status: running, deleting: true), now: now)
        guard case .terminate(let status) = job?.kind else {
            Issue.record("expected a terminate job, got \(String(describing: job))")
            return
        }
        #expect(status?["phase"] == "Succeeded")
        // A pod that never ran has no containers to stop: delete only.
        let neverRan = tracker.observe(PodStatusBuilderTests.pod(uid: "x", deleting: true), now: now)
        #expect(neverRan?.kind == .terminate(status: JSONValue?.none))
        #expect(job?.key != PodJob(namespace: "default", name: "web", uid: "uid-1", kind: .markRunning(status: [:])).key)
    }

    @Test func resyncForgetsPodsNoLongerListed() {
        var tracker = tracker()
        _ = tracker.observe(PodStatusBuilderTests.pod(node: "sim-0", uid: "gone"), now: now)
        let jobs = tracker.resync([PodStatusBuilderTests.pod(node: "sim-0", uid: "kept")], now: now)
        #expect(tracker.known == ["kept"])
        #expect(jobs.count == 1)
        #expect(status(of: jobs.first)?["podIP"] == "10.128.0.2")  // the vanished pod's address is free again
    }

    @Test func aFullRangeYieldsNoJob() {
        var tracker = tracker(nodes: 1)
        for i in 0..<253 {
            #expect(tracker.observe(PodStatusBuilderTests.pod(node: "sim-0", uid: "p\(i)"), now: now) != nil)
        }
        #expect(tracker.observe(PodStatusBuilderTests.pod(node: "sim-0", uid: "overflow"), now: now) == nil)
    }
}
