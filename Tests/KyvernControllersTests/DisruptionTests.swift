import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct DisruptionTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func pod(_ name: String, ready: Bool = true, deleting: Bool = false) -> JSONValue {
        var pod: JSONValue = ["metadata": ["name": .string(name), "namespace": "ns", "labels": ["app": "web"]],
                              "status": ["conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]]
        if deleting { pod[path: ["metadata", "deletionTimestamp"]] = "2027-01-01T00:00:00Z" }
        return pod
    }

    func pdb(_ spec: JSONValue) -> JSONValue {
        var spec = spec
        spec["selector"] = ["matchLabels": ["app": "web"]]
        return ["metadata": ["name": "web", "namespace": "ns", "generation": 2], "spec": spec]
    }

    @Test func minAvailableCountsReadyPodsNotDeletingOnes() {
        let pods = [pod("a"), pod("b"), pod("c", ready: false), pod("d", deleting: true)]
        let status = BudgetStatus.compute(pdb(["minAvailable": 1]), pods: pods, scale: nil, now: now)
        #expect(status["currentHealthy"] == 2)
        #expect(status["desiredHealthy"] == 1)
        #expect(status["expectedPods"] == 4)
        #expect(status["disruptionsAllowed"] == 1)
        #expect(status["observedGeneration"] == 2)
        #expect(status["conditions"] == [["type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods", "message": "",
                                          "observedGeneration": 2, "lastTransitionTime": .string(Timestamp.format(now))]])
    }

    @Test func percentagesAndMaxUnavailableUseTheControllersScale() throws {
        let pods = [pod("a"), pod("b"), pod("c")]
        #expect(try BudgetStatus.counts(pdb(["minAvailable": "50%"]), pods: pods, scale: 5) == .init(expected: 5, desiredHealthy: 3))
        #expect(try BudgetStatus.counts(pdb(["maxUnavailable": "25%"]), pods: pods, scale: 5) == .init(expected: 5, desiredHealthy: 3))
        #expect(try BudgetStatus.counts(pdb(["maxUnavailable": 1]), pods: pods, scale: 3) == .init(expected: 3, desiredHealthy: 2))
        let failed = BudgetStatus.compute(pdb(["maxUnavailable": 1]), pods: pods, scale: nil, now: now)
        #expect(failed["disruptionsAllowed"] == 0)
        #expect(failed["conditions"]?.arrayValue?.first?["reason"] == "SyncFailed")
        #expect(failed["conditions"]?.arrayValue?.first?["message"] == "found no controllers for pod")
    }

    @Test func pendingEvictionsHoldPodsOutOfTheHealthyCountUntilTheyExpire() {
        var budget = pdb(["minAvailable": 2])
        budget[path: ["status", "disruptedPods"]] = ["a": .string(Timestamp.format(now.addingTimeInterval(-10))),
                                                     "gone": .string(Timestamp.format(now))]
        let pods = [pod("a"), pod("b"), pod("c")]
        let status = BudgetStatus.compute(budget, pods: pods, scale: nil, now: now)
        #expect(status["currentHealthy"] == 2)
        #expect(status["disruptionsAllowed"] == 0)
        #expect(status["disruptedPods"]?.objectValue?.keys.sorted() == ["a"])
        #expect(status["conditions"]?.arrayValue?.first?["reason"] == "InsufficientPods")
        let later = BudgetStatus.compute(budget, pods: pods, scale: nil, now: now.addingTimeInterval(120))
        #expect(later["currentHealthy"] == 3)
        #expect(later["disruptedPods"] == nil)
    }

    @Test func controllerWritesStatusThroughTheSubresourceOnlyWhenItChanges() async throws {
        let client = FakeClient()
        var budget = pdb(["minAvailable": 1])
        budget["apiVersion"] = "policy/v1"
        budget["kind"] = "PodDisruptionBudget"
        let seeded = try client.seed(.podDisruptionBudgets, budget)
        let empty = StaticCache(objects: [])
        let clock = now
        let controller = DisruptionController(
            client: client, budgets: StaticCache(objects: seeded), pods: StaticCache(objects: [pod("a"), pod("b")]),
            replicaSets: empty, deployments: empty, statefulSets: empty, queue: nil, logger: Logger(label: "test"), now: { clock })
        try await controller.reconcile(ObjectKey(namespace: "ns", name: "web"))
        let stored = try #require(client.object(.podDisruptionBudgets, namespace: "ns", name: "web"))
        #expect(stored[path: ["status", "disruptionsAllowed"]] == 1)
        #expect(client.writes.map(\.verb) == ["update"])
        #expect(client.writes.first?.subresource == "status")
    }
}
