import Foundation
import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct DaemonSetPlanTests {
    static let now = Timestamp.parse("2026-01-01T01:00:00Z")!
    let ds = Daemons.daemonSet()
    let nodes = ["n1", "n2", "n3", "n4"].map { Daemons.node($0) }

    func names(_ pods: [JSONValue]) -> [String] { pods.compactMap(\.name).sorted() }

    @Test func manageCreatesOnBareNodesAndDeletesExtrasAndFinishedPods() {
        let pods = DaemonPods([
            Daemons.pod("a", of: ds, node: "n1", hash: "h1", created: "2026-01-01T00:00:00Z"),
            Daemons.pod("b", of: ds, node: "n1", hash: "h1", created: "2026-01-01T00:05:00Z"),
            Daemons.pod("c", of: ds, node: "n2", hash: "h1", phase: "Failed"),
            Daemons.pod("d", of: ds, node: "gone", hash: "h1"),
        ])
        let plan = DaemonSetPlan.manage(ds: ds, nodes: nodes, pods: pods, hash: "h1", allowsSurge: false, now: Self.now)
        #expect(plan.creations.sorted() == ["n3", "n4"])
        // The newer duplicate goes, the failed pod subject to backoff; a bound pod on a vanished node is the pod GC's.
        #expect(names(plan.deletions) == ["b"])
        #expect(plan.failed.map(\.node) == ["n2"] && plan.failed.compactMap(\.pod.name) == ["c"])
    }

    @Test func aTerminatingPodHoldsItsNodeUntilItIsGone() {
        let pods = DaemonPods([Daemons.pod("a", of: ds, node: "n1", hash: "h1", deleting: true)])
        let plan = DaemonSetPlan.manage(ds: ds, nodes: [nodes[0]], pods: pods, hash: "h1", allowsSurge: false, now: Self.now)
        #expect(plan.isEmpty)
    }

    @Test func manageRemovesPodsFromNodesThatNoLongerQualify() {
        let tainted = Daemons.node("n1", taints: [Daemons.taint("evict", "NoExecute")])
        let pods = DaemonPods([Daemons.pod("a", of: ds, node: "n1", hash: "h1")])
        let plan = DaemonSetPlan.manage(ds: ds, nodes: [tainted], pods: pods, hash: "h1", allowsSurge: false, now: Self.now)
        #expect(names(plan.deletions) == ["a"] && plan.creations.isEmpty)
    }

    @Test func surgeKeepsTheOldReadyPodUntilTheNewOneIsAvailable() {
        let waiting = DaemonPods([Daemons.pod("old", of: ds, node: "n1", hash: "h1"),
                                  Daemons.pod("new", of: ds, node: "n1", hash: "h2", ready: false, created: "2026-01-01T00:30:00Z")])
        #expect(DaemonSetPlan.manage(ds: ds, nodes: [nodes[0]], pods: waiting, hash: "h2", allowsSurge: true, now: Self.now).isEmpty)
        let done = DaemonPods([Daemons.pod("old", of: ds, node: "n1", hash: "h1"),
                               Daemons.pod("new", of: ds, node: "n1", hash: "h2", created: "2026-01-01T00:30:00Z")])
        let plan = DaemonSetPlan.manage(ds: ds, nodes: [nodes[0]], pods: done, hash: "h2", allowsSurge: true, now: Self.now)
        #expect(names(plan.deletions) == ["old"])
    }

    @Test func rollingUpdateDeletesOldPodsWithinMaxUnavailable() {
        let pods = DaemonPods(nodes.enumerated().map { Daemons.pod("p\($0.offset)", of: ds, node: $0.element.name!, hash: "h1") })
        let plan = DaemonSetPlan.rollingUpdate(ds: ds, eligibleNodes: ["n1", "n2", "n3", "n4"], pods: pods, hash: "h2",
                                               maxSurge: 0, maxUnavailable: 2, now: Self.now)
        #expect(names(plan.deletions) == ["p0", "p1"] && plan.creations.isEmpty)
        // A node still waiting for its new pod uses up one of the two.
        let midway = DaemonPods([Daemons.pod("p1", of: ds, node: "n2", hash: "h1"), Daemons.pod("p2", of: ds, node: "n3", hash: "h1"),
                                 Daemons.pod("p3", of: ds, node: "n4", hash: "h1"),
                                 Daemons.pod("new0", of: ds, node: "n1", hash: "h2", ready: false)])
        let next = DaemonSetPlan.rollingUpdate(ds: ds, eligibleNodes: ["n1", "n2", "n3", "n4"], pods: midway, hash: "h2",
                                               maxSurge: 0, maxUnavailable: 2, now: Self.now)
        #expect(names(next.deletions) == ["p1"])
    }

    @Test func rollingUpdateReplacesUnavailableOldPodsRegardlessOfBudget() {
        let pods = DaemonPods([Daemons.pod("bad1", of: ds, node: "n1", hash: "h1", ready: false),
                               Daemons.pod("bad2", of: ds, node: "n2", hash: "h1", ready: false),
                               Daemons.pod("ok", of: ds, node: "n3", hash: "h1")])
        let plan = DaemonSetPlan.rollingUpdate(ds: ds, eligibleNodes: ["n1", "n2", "n3"], pods: pods, hash: "h2",
                                               maxSurge: 0, maxUnavailable: 1, now: Self.now)
        // As upstream: replacing an unavailable pod does not use the budget, so one available pod goes too.
        #expect(names(plan.deletions) == ["bad1", "bad2", "ok"])
    }

    @Test func surgeRollingUpdateCreatesBesideOldPodsThenDeletesThem() {
        let pods = DaemonPods([Daemons.pod("o1", of: ds, node: "n1", hash: "h1"), Daemons.pod("o2", of: ds, node: "n2", hash: "h1"),
                               Daemons.pod("o3", of: ds, node: "n3", hash: "h1"),
                               Daemons.pod("n3new", of: ds, node: "n3", hash: "h2", created: "2026-01-01T00:30:00Z")])
        let plan = DaemonSetPlan.rollingUpdate(ds: ds, eligibleNodes: ["n1", "n2", "n3"], pods: pods, hash: "h2",
                                               maxSurge: 1, maxUnavailable: 0, now: Self.now)
        #expect(names(plan.deletions) == ["o3"])
        #expect(plan.creations == ["n1"])
    }

    @Test func boundsRoundPercentagesUpAndNeverStall() {
        var ds = Daemons.daemonSet(strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "10%", "maxSurge": 0]])
        #expect(DaemonSetPlan.bounds(ds: ds, desired: 15) == (0, 2))
        ds[path: ["spec", "updateStrategy", "rollingUpdate"]] = ["maxUnavailable": 0, "maxSurge": "20%"]
        #expect(DaemonSetPlan.bounds(ds: ds, desired: 6) == (2, 0))
        #expect(DaemonSetPlan.allowsSurge(ds))
        #expect(!DaemonSetPlan.allowsSurge(Daemons.daemonSet()))
    }

    @Test func statusCountsOldestPodPerEligibleNode() {
        let tainted = Daemons.node("n5", taints: [Daemons.taint("x", "NoSchedule")])
        let pods = DaemonPods([
            Daemons.pod("a", of: ds, node: "n1", hash: "h2"),
            Daemons.pod("b", of: ds, node: "n2", hash: "h1"),
            Daemons.pod("c", of: ds, node: "n3", hash: "h2", ready: false),
            Daemons.pod("d", of: ds, node: "n5", hash: "h2"),
        ])
        let status = DaemonSetStatus.compute(ds: ds, nodes: nodes + [tainted], pods: pods, hash: "h2",
                                             observeGeneration: true, now: Self.now)
        #expect(status == ["desiredNumberScheduled": 4, "currentNumberScheduled": 3, "numberMisscheduled": 1,
                           "numberReady": 2, "updatedNumberScheduled": 2, "numberAvailable": 2,
                           "numberUnavailable": 2, "observedGeneration": 1])
    }

    @Test func historyCleanupKeepsLiveAndNewestRevisions() {
        let old = (1...5).map { n -> JSONValue in
            ["metadata": ["name": .string("r\(n)"), "labels": ["controller-revision-hash": .string("h\(n)")]], "revision": .int(Int64(n))]
        }
        let victims = ControllerHistory.excess(old: old.reversed(), limit: 2, liveHashes: ["h1"])
        #expect(victims.compactMap(\.name) == ["r2", "r3", "r4"])
    }
}
