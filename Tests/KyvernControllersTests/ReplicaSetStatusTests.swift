import Foundation
import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct ReplicaSetStatusTests {
    let now = Timestamp.parse("2026-01-01T01:00:00Z")!

    @Test func countsLabelledReadyAndAvailablePods() {
        let rs = Pods.replicaSet("web", replicas: 3, templateLabels: ["app": "web", "tier": "front"],
                                 minReadySeconds: 30, generation: 4)
        let pods = [
            Pods.pod("a", labels: ["app": "web", "tier": "front"], phase: "Running", ready: true,
                     readySince: "2026-01-01T00:00:00Z"),
            Pods.pod("b", labels: ["app": "web"], phase: "Running", ready: true, readySince: "2026-01-01T00:59:50Z"),
            Pods.pod("c", labels: ["app": "web", "tier": "front"]),
        ]
        let status = ReplicaSetStatus.compute(for: rs, active: pods, terminating: 1, manageError: nil, now: now)
        #expect(status == ["replicas": 3, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 1,
                           "terminatingReplicas": 1, "observedGeneration": 4])
        #expect(ReplicaSetStatus.differs(rs, from: status))
        var written = rs
        written["status"] = status
        #expect(!ReplicaSetStatus.differs(written, from: status))
    }

    @Test func failureConditionSetOnceAndClearedOnSuccess() {
        let rs = Pods.replicaSet("web", replicas: 2)
        let error = APIError(code: 403, reason: "Forbidden", message: "pods \"web-x\" is forbidden: exceeded quota")
        let failed = ReplicaSetStatus.compute(for: rs, active: [], terminating: 0, manageError: error, now: now)
        #expect(failed["conditions"] == [[
            "type": "ReplicaFailure", "status": "True", "lastTransitionTime": "2026-01-01T01:00:00Z",
            "reason": "FailedCreate", "message": "pods \"web-x\" is forbidden: exceeded quota",
        ]])
        var stored = rs
        stored["status"] = failed
        let later = Date(timeIntervalSince1970: now.timeIntervalSince1970 + 60)
        let again = ReplicaSetStatus.compute(for: stored, active: [], terminating: 0, manageError: error, now: later)
        #expect(again["conditions"] == failed["conditions"])
        let healed = ReplicaSetStatus.compute(for: stored, active: [], terminating: 0, manageError: nil, now: later)
        #expect(healed["conditions"] == nil)
    }
}
