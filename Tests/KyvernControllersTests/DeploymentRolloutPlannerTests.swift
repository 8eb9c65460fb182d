import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct DeploymentRolloutPlannerTests {
    typealias F = DeploymentFixtures

    @Test(arguments: [
        (JSONValue("25%"), JSONValue("25%"), 10, 3, 2),
        (JSONValue(0), JSONValue("10%"), 5, 0, 1),
        (JSONValue(1), JSONValue(0), 3, 1, 0),
        (JSONValue("50%"), JSONValue("50%"), 3, 2, 1),
        (JSONValue("25%"), JSONValue("25%"), 3, 1, 0),
    ])
    func fencepostsRoundSurgeUpAndUnavailableDown(surge: JSONValue, unavailable: JSONValue, desired: Int,
                                                  wantSurge: Int, wantUnavailable: Int) {
        let r = RolloutBounds.resolve(maxSurge: surge, maxUnavailable: unavailable, desired: desired)
        #expect(r.surge == wantSurge)
        #expect(r.unavailable == wantUnavailable)
    }

    @Test func maxUnavailableIsCappedAtReplicasAndZeroForRecreate() {
        #expect(F.deployment(replicas: 3, maxSurge: 0, maxUnavailable: 5).maxUnavailable == 3)
        #expect(F.deployment(replicas: 0).maxUnavailable == 0)
        #expect(F.deployment(strategy: "Recreate").maxUnavailable == 0)
        #expect(F.deployment(strategy: "Recreate").maxSurge == 0)
        #expect(throws: RolloutBounds.InvalidValue.self) {
            try RolloutBounds.scaledValue("5", total: 10, roundUp: true)
        }
    }

    @Test func newReplicaSetGrowsWithinSurge() {
        let d = F.deployment(replicas: 3)  // surge 1, unavailable 0
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 3)
        var new = F.replicaSet("web-new", replicas: 0)
        #expect(RolloutPlanner.reconcileNewReplicaSet(d, allRSs: [old, new], newRS: new)?.to == 1)
        new.replicas = 1
        #expect(RolloutPlanner.reconcileNewReplicaSet(d, allRSs: [old, new], newRS: new) == nil)
        var bigger = F.replicaSet("web-new", replicas: 5)
        #expect(RolloutPlanner.reconcileNewReplicaSet(d, allRSs: [bigger], newRS: bigger)?.to == 3)
        bigger.replicas = 3
        #expect(RolloutPlanner.reconcileNewReplicaSet(d, allRSs: [bigger], newRS: bigger) == nil)
        #expect(RolloutPlanner.newReplicaSetSize(F.deployment(replicas: 4, strategy: "Recreate"), allRSs: [old], newRS: new) == 4)
    }

    /// The shrinks of the one old ReplicaSet `old` beside `new`.
    func oldSteps(_ d: DeploymentObject, old: ReplicaSetObject, new: ReplicaSetObject) throws -> [ScaleStep] {
        try RolloutPlanner.reconcileOldReplicaSets(d, allRSs: [old, new], oldRSs: [old], newRS: new)
    }

    @Test func oldReplicaSetsWaitForNewPodsToBecomeAvailable() throws {
        let d = F.deployment(replicas: 3)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 3)
        let unavailableNew = F.replicaSet("web-new", replicas: 1, available: 0)
        #expect(try oldSteps(d, old: old, new: unavailableNew).isEmpty)
        let availableNew = F.replicaSet("web-new", replicas: 1, available: 1)
        let steps = try oldSteps(d, old: old, new: availableNew)
        #expect(steps == [ScaleStep(old, to: 2)])
    }

    @Test func unhealthyOldReplicasAreCleanedUpFirst() throws {
        let d = F.deployment(replicas: 3, maxSurge: 1, maxUnavailable: 0)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 3, available: 1)
        let new = F.replicaSet("web-new", replicas: 1, available: 1)
        let steps = try oldSteps(d, old: old, new: new)
        #expect(steps == [ScaleStep(old, to: 2)])
    }

    /// Status lags a scale-down: the old ReplicaSet asks for 1 pod but still counts 2 available.
    /// Cleaning up "unhealthy" pods must not turn into growing it past replicas + maxSurge.
    @Test func staleAvailableCountAboveSpecIsRefusedNotScaledUp() throws {
        let d = F.deployment(replicas: 4, maxSurge: 1, maxUnavailable: 1)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 1, available: 2)
        let new = F.replicaSet("web-new", replicas: 4, available: 3)
        #expect(throws: RolloutPlanner.InvalidCleanup(namespace: "default", name: "web-old", from: 1, to: 2)) {
            try oldSteps(d, old: old, new: new)
        }
    }

    @Test func scaleDownHonoursMaxUnavailableAcrossOldReplicaSetsOldestFirst() throws {
        let d = F.deployment(replicas: 10, maxSurge: 0, maxUnavailable: 3)
        let older = F.replicaSet("web-a", image: "nginx:1.25", replicas: 2, created: "2026-11-26T09:00:00Z")
        let old = F.replicaSet("web-b", image: "nginx:1.26", replicas: 8, created: "2026-11-26T09:30:00Z")
        let new = F.replicaSet("web-new", replicas: 0)
        let steps = try RolloutPlanner.reconcileOldReplicaSets(d, allRSs: [old, older, new], oldRSs: [old, older], newRS: new)
        #expect(steps == [ScaleStep(older, to: 0), ScaleStep(old, to: 7)])
    }

    @Test func proportionalScalingUpSplitsByShareAndDownRemovesFromLargestFirst() {
        // 10 replicas, surge 3, unavailable 2, mid-rollout (8 old + 5 new), scaled to 15.
        let d = F.deployment(replicas: 15, maxSurge: 3, maxUnavailable: 2)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 8, created: "2026-11-26T09:00:00Z", desired: 10, maxReplicas: 13)
        let new = F.replicaSet("web-new", replicas: 5, available: 0, desired: 10, maxReplicas: 13)
        let up = RolloutPlanner.scale(d, newRS: new, oldRSs: [old])
        #expect(up == [ScaleStep(old, to: 11, proportionalOperation: "up"), ScaleStep(new, to: 7, proportionalOperation: "up")])

        let d5 = F.deployment(replicas: 5, maxSurge: 3, maxUnavailable: 2)
        let old2 = F.replicaSet("web-old", image: "nginx:1.26", replicas: 11, created: "2026-11-26T09:00:00Z", desired: 15, maxReplicas: 18)
        let new2 = F.replicaSet("web-new", replicas: 7, available: 0, desired: 15, maxReplicas: 18)
        let down = RolloutPlanner.scale(d5, newRS: new2, oldRSs: [old2])
        #expect(down == [ScaleStep(old2, to: 5, proportionalOperation: "down"), ScaleStep(new2, to: 3, proportionalOperation: "down")])
    }

    @Test func scalingWithOneActiveReplicaSetResizesIt() {
        let d = F.deployment(replicas: 10)
        let new = F.replicaSet("web-new", replicas: 3, desired: 3)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 0)
        #expect(RolloutPlanner.scale(d, newRS: new, oldRSs: [old]) == [ScaleStep(new, to: 10)])
        #expect(ReplicaSetSelection.isScalingEvent(d, newRS: new, oldRSs: [old]))
        #expect(!ReplicaSetSelection.isScalingEvent(F.deployment(replicas: 3), newRS: new, oldRSs: [old]))
        // Nothing active: the newest takes the count.
        let idleNew = F.replicaSet("web-new", replicas: 0)
        #expect(RolloutPlanner.scale(d, newRS: idleNew, oldRSs: [old]) == [ScaleStep(idleNew, to: 10)])
    }

    @Test func saturatedNewReplicaSetDrainsOldOnes() {
        let d = F.deployment(replicas: 3)
        let new = F.replicaSet("web-new", replicas: 3, desired: 3)
        let old = F.replicaSet("web-old", image: "nginx:1.26", replicas: 1)
        #expect(RolloutPlanner.scale(d, newRS: new, oldRSs: [old]) == [ScaleStep(old, to: 0)])
    }

    @Test func findsNewAndOldReplicaSets() {
        let d = F.deployment(image: "nginx:1.27")
        let a = F.replicaSet("web-a", image: "nginx:1.26", replicas: 0, created: "2026-11-26T09:00:00Z")
        let b = F.replicaSet("web-b", image: "nginx:1.27", replicas: 3, created: "2026-11-26T09:30:00Z")
        let c = F.replicaSet("web-c", image: "nginx:1.27", replicas: 0, created: "2026-11-26T09:40:00Z")
        #expect(ReplicaSetSelection.newReplicaSet(of: d, in: [c, a, b])?.name == "web-b")
        #expect(ReplicaSetSelection.oldReplicaSets(of: d, in: [c, a, b]).map(\.name) == ["web-c", "web-a"])
        #expect(ReplicaSetSelection.newReplicaSet(of: F.deployment(image: "nginx:9"), in: [a, b]) == nil)
    }

    @Test func historyCleanupDeletesOldestScaledDownBeyondLimit() {
        let d = F.deployment(revisionHistoryLimit: 2)
        let rs = (1...4).map { (i: Int) in F.replicaSet("web-r\(i)", image: "nginx:1.\(i)", replicas: 0, revision: i) }
        #expect(RolloutPlanner.historyToDelete(d, oldRSs: rs.reversed()).map(\.name) == ["web-r1", "web-r2"])
        var busy = rs
        busy[0] = F.replicaSet("web-r1", image: "nginx:1.1", replicas: 1, revision: 1)
        #expect(RolloutPlanner.historyToDelete(d, oldRSs: busy).map(\.name) == ["web-r2"])
        #expect(RolloutPlanner.historyToDelete(F.deployment(revisionHistoryLimit: nil), oldRSs: rs).isEmpty)
    }
}
