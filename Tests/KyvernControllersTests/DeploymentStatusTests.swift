import Foundation
import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct DeploymentStatusTests {
    typealias F = DeploymentFixtures
    let now = Timestamp.parse("2026-11-26T10:20:00Z")!

    @Test func statusSumsReplicaSetsAndReportsAvailability() {
        let d = F.deployment(replicas: 3)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 2, available: 2)
        let new = F.replicaSet("web-new", replicas: 2, available: 0, ready: 1, statusReplicas: 2)
        let s = DeploymentProgress.calculateStatus(d, allRSs: [old, new], newRS: new, now: now)
        #expect(s.observedGeneration == 1)
        #expect(s.replicas == 4)
        #expect(s.updatedReplicas == 2)
        #expect(s.readyReplicas == 3)
        #expect(s.availableReplicas == 2)
        #expect(s.unavailableReplicas == 2)
        #expect(s.condition("Available")?.status == "False")
        #expect(s.condition("Available")?.reason == "MinimumReplicasUnavailable")
        #expect(s.json["terminatingReplicas"] == nil)
        let ok = DeploymentProgress.calculateStatus(d, allRSs: [F.replicaSet("web-new", replicas: 3)], newRS: nil, now: now)
        #expect(ok.condition("Available")?.reason == "MinimumReplicasAvailable")
        #expect(ok.condition("Available")?.message == "Deployment has minimum availability.")
        #expect(ok.updatedReplicas == 0)
        #expect(ok.json["updatedReplicas"] == nil)
    }

    @Test func completeRolloutReportsNewReplicaSetAvailable() {
        let progressing: JSONValue = ["conditions": [["type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                                                      "message": "x", "lastUpdateTime": "2026-11-26T10:19:00Z",
                                                      "lastTransitionTime": "2026-11-26T10:10:00Z"]]]
        let d = F.deployment(replicas: 3, status: progressing)
        let new = F.replicaSet("web-abc", replicas: 3)
        let s = DeploymentProgress.rolloutStatus(d, allRSs: [new], newRS: new, now: now)
        let c = s.condition("Progressing")
        #expect(c?.reason == "NewReplicaSetAvailable")
        #expect(c?.message == "ReplicaSet \"web-abc\" has successfully progressed.")
        #expect(c?.lastTransitionTime == "2026-11-26T10:10:00Z")
        #expect(s.conditions.map(\.type) == ["Available", "Progressing"])
    }

    @Test func progressRefreshesUpdateTimeAndKeepsTransitionTime() {
        let st: JSONValue = ["replicas": 3, "updatedReplicas": 1,
                             "conditions": [["type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated",
                                             "message": "x", "lastUpdateTime": "2026-11-26T10:00:00Z",
                                             "lastTransitionTime": "2026-11-26T10:00:00Z"]]]
        let d = F.deployment(replicas: 3, status: st)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 1)
        let new = F.replicaSet("web-abc", replicas: 3, available: 2)
        let s = DeploymentProgress.rolloutStatus(d, allRSs: [old, new], newRS: new, now: now)
        let c = s.condition("Progressing")
        #expect(c?.reason == "ReplicaSetUpdated")
        #expect(c?.message == "ReplicaSet \"web-abc\" is progressing.")
        #expect(c?.lastUpdateTime == "2026-11-26T10:20:00Z")
        #expect(c?.lastTransitionTime == "2026-11-26T10:00:00Z")
    }

    @Test func stalledRolloutTimesOutAfterDeadline() {
        let st: JSONValue = ["replicas": 4, "updatedReplicas": 1, "availableReplicas": 3, "readyReplicas": 3,
                             "conditions": [["type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                                             "message": "x", "lastUpdateTime": "2026-11-26T10:09:00Z",
                                             "lastTransitionTime": "2026-11-26T10:00:00Z"]]]
        let d = F.deployment(replicas: 3, progressDeadlineSeconds: 600, status: st)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 3)
        let new = F.replicaSet("web-abc", replicas: 1, available: 0, ready: 0)
        let early = DeploymentProgress.rolloutStatus(d, allRSs: [old, new], newRS: new, now: Timestamp.parse("2026-11-26T10:18:00Z")!)
        #expect(early.condition("Progressing")?.reason == "ReplicaSetUpdated")
        #expect(DeploymentProgress.progressCheckDelay(d, early, now: Timestamp.parse("2026-11-26T10:18:00Z")!) == .seconds(61))
        let late = DeploymentProgress.rolloutStatus(d, allRSs: [old, new], newRS: new, now: now)
        let c = late.condition("Progressing")
        #expect(c?.status == "False")
        #expect(c?.reason == "ProgressDeadlineExceeded")
        #expect(c?.message == "ReplicaSet \"web-abc\" has timed out progressing.")
        #expect(c?.lastTransitionTime == "2026-11-26T10:20:00Z")
    }

    @Test func noDeadlineMeansNoProgressingCondition() {
        let st: JSONValue = ["conditions": [["type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"]]]
        let d = F.deployment(progressDeadlineSeconds: nil, status: st)
        let s = DeploymentProgress.rolloutStatus(d, allRSs: [], newRS: nil, now: now)
        #expect(s.condition("Progressing") == nil)
    }

    @Test func pauseAndResumeSetUnknownProgressing() {
        let paused = F.deployment(paused: true)
        let s = DeploymentProgress.pausedConditionUpdate(paused, now: now)
        #expect(s?.condition("Progressing")?.status == "Unknown")
        #expect(s?.condition("Progressing")?.reason == "DeploymentPaused")
        #expect(s?.condition("Progressing")?.message == "Deployment is paused")
        var again = paused
        again.status = s!
        #expect(DeploymentProgress.pausedConditionUpdate(again, now: now) == nil)
        var resumed = F.deployment(paused: false)
        resumed.status = s!
        #expect(DeploymentProgress.pausedConditionUpdate(resumed, now: now)?.condition("Progressing")?.reason == "DeploymentResumed")
    }

    @Test func replicaSetFailureSurfacesOnDeployment() {
        var new = F.replicaSet("web-abc", replicas: 3, available: 0)
        new.object[path: ["status", "conditions"]] = [["type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                                       "message": "quota", "lastTransitionTime": "2026-11-26T10:05:00Z"]]
        let s = DeploymentProgress.rolloutStatus(F.deployment(), allRSs: [new], newRS: new, now: now)
        #expect(s.condition("ReplicaFailure")?.reason == "FailedCreate")
        #expect(s.condition("ReplicaFailure")?.lastUpdateTime == "2026-11-26T10:05:00Z")
    }

    @Test func reasonsAreSpelledAsUpstream() {
        #expect(DeploymentReason.allCases.map(\.text) == [
            "MinimumReplicasAvailable", "MinimumReplicasUnavailable", "NewReplicaSetCreated", "FoundNewReplicaSet",
            "ReplicaSetUpdated", "NewReplicaSetAvailable", "ProgressDeadlineExceeded", "DeploymentPaused",
            "DeploymentResumed", "ReplicaSetCreateError",
        ])
    }
}
