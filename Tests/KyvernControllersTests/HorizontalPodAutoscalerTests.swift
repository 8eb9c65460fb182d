import Foundation
import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct HorizontalPodAutoscalerTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let cpu50 = ResourceMetricTarget(resource: "cpu", target: .utilization(50))

    func pod(_ name: String, cpu: String = "100m", phase: String = "Running", ready: Bool = true, startedAgo: TimeInterval = 600) -> JSONValue {
        let start = Timestamp.format(now.addingTimeInterval(-startedAgo))
        return ["metadata": ["name": .string(name), "namespace": "ns"],
                "spec": ["containers": [["name": "c", "resources": ["requests": ["cpu": .string(cpu)]]]]],
                "status": ["phase": .string(phase), "startTime": .string(start),
                           "conditions": [["type": "Ready", "status": ready ? "True" : "False", "lastTransitionTime": .string(start)]]]]
    }

    func samples(_ values: [String: Int64]) -> [String: ReplicaCalculator.Sample] {
        values.mapValues { ReplicaCalculator.Sample(value: $0, timestamp: now, window: 10) }
    }

    @Test func usageAboveTargetScalesUpByTheRatio() throws {
        let proposal = try ReplicaCalculator().replicas(currentReplicas: 2, target: cpu50, pods: [pod("a"), pod("b")],
                                                        samples: samples(["a": 100, "b": 80]), now: now)
        #expect(proposal == .init(replicas: 4, utilization: 90, averageValue: 90))
    }

    @Test func withinTenPercentKeepsTheCurrentCount() throws {
        let proposal = try ReplicaCalculator().replicas(currentReplicas: 2, target: cpu50, pods: [pod("a"), pod("b")],
                                                        samples: samples(["a": 54, "b": 54]), now: now)
        #expect(proposal.replicas == 2)
        #expect(proposal.utilization == 54)
    }

    @Test func missingPodsCountAsFullRequestOnScaleDown() throws {
        // Ready pods at 10% alone would give 1; the pod without metrics counts as 100% of its request.
        let proposal = try ReplicaCalculator().replicas(currentReplicas: 3, target: cpu50, pods: [pod("a"), pod("b"), pod("c")],
                                                        samples: samples(["a": 10, "b": 10]), now: now)
        #expect(proposal.replicas == 3)
        #expect(proposal.utilization == 10)
    }

    @Test func unreadyPodsCountAsZeroOnScaleUp() throws {
        // 1 ready pod at 200% alone would give 4; the pending one counts as 0%, so 100% over 2 pods gives 4 too,
        // but a not-started pod never counts higher than zero.
        let pods = [pod("a"), pod("b", phase: "Pending")]
        let proposal = try ReplicaCalculator().replicas(currentReplicas: 2, target: cpu50, pods: pods,
                                                        samples: samples(["a": 200]), now: now)
        #expect(proposal.replicas == 4)
        let recentlyReady = [pod("a"), pod("b", startedAgo: 5)]
        let second = try ReplicaCalculator().replicas(currentReplicas: 2, target: cpu50, pods: recentlyReady,
                                                      samples: samples(["a": 60, "b": 500]), now: now)
        // b's sample predates its readiness plus the window: it counts as 0, so (60+0)/200 = 30% → keep 2 (no flapping up).
        #expect(second.replicas == 2)
    }

    @Test func averageValueTargetsDivideTheMeanUsage() throws {
        let memory = ResourceMetricTarget(resource: "memory", target: .averageValue(100 * 1_048_576 * 1000))
        let proposal = try ReplicaCalculator().replicas(currentReplicas: 1, target: memory, pods: [pod("a")],
                                                        samples: samples(["a": 250 * 1_048_576 * 1000]), now: now)
        #expect(proposal.replicas == 3)
        #expect(proposal.utilization == nil)
    }

    @Test func missingRequestsAndMetricsFailWithUpstreamsMessages() {
        var noRequest = pod("a")
        noRequest[path: ["spec", "containers"]] = [["name": "c"]]
        #expect(throws: ReplicaCalculator.Failure(description: "missing request for cpu in container c of Pod a")) {
            try ReplicaCalculator().replicas(currentReplicas: 1, target: cpu50, pods: [noRequest], samples: samples(["a": 1]), now: now)
        }
        #expect(throws: ReplicaCalculator.Failure(description: "unable to get metrics for resource cpu: no metrics returned from resource metrics API")) {
            try ReplicaCalculator().replicas(currentReplicas: 1, target: cpu50, pods: [pod("a")], samples: [:], now: now)
        }
    }

    @Test func specTargetsIncludingAutoscalingV1() {
        let v2: JSONValue = ["spec": ["metrics": [
            ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 60]]],
            ["type": "Resource", "resource": ["name": "memory", "target": ["type": "AverageValue", "averageValue": "64Mi"]]],
        ]]]
        #expect(ResourceMetricTarget.all(in: v2) == [.init(resource: "cpu", target: .utilization(60)),
                                                    .init(resource: "memory", target: .averageValue(67_108_864_000))])
        #expect(ResourceMetricTarget.all(in: ["spec": ["targetCPUUtilizationPercentage": 70]]) == [.init(resource: "cpu", target: .utilization(70))])
    }

    @Test func scaleDownWaitsForTheStabilizationWindow() {
        var history: [ScalingDecision.Recommendation] = [.init(replicas: 5, time: now.addingTimeInterval(-100))]
        let decision = ScalingDecision.decide(recommended: 2, current: 5, minReplicas: 1, maxReplicas: 10, up: .defaultUp,
                                              down: .defaultDown(window: 300), history: &history, events: ScaleEvents(), now: now)
        #expect(decision.replicas == 5)
        #expect(decision.stabilized?.reason == "ScaleDownStabilized")
        var fresh: [ScalingDecision.Recommendation] = [.init(replicas: 5, time: now.addingTimeInterval(-400))]
        let later = ScalingDecision.decide(recommended: 2, current: 5, minReplicas: 1, maxReplicas: 10, up: .defaultUp,
                                           down: .defaultDown(window: 300), history: &fresh, events: ScaleEvents(), now: now)
        #expect(later.replicas == 2)
        #expect(fresh == [.init(replicas: 2, time: now)])
    }

    @Test func scaleUpIsLimitedByPoliciesAndMaxReplicas() {
        var history: [ScalingDecision.Recommendation] = []
        // Default rules: the larger of +4 pods and +100% per 15s: from 2, at most 6.
        let decision = ScalingDecision.decide(recommended: 20, current: 2, minReplicas: 1, maxReplicas: 10, up: .defaultUp,
                                              down: .defaultDown(window: 0), history: &history, events: ScaleEvents(), now: now)
        #expect(decision.replicas == 6)
        #expect(decision.limit.reason == "ScaleUpLimit" && decision.limited)
        // A scale-up of 4 already made in the period leaves none.
        var events = ScaleEvents()
        events.record(from: 2, to: 6, at: now.addingTimeInterval(-5), keepUp: 15, keepDown: 15)
        let after = ScalingDecision.decide(recommended: 20, current: 6, minReplicas: 1, maxReplicas: 10, up: .defaultUp,
                                           down: .defaultDown(window: 0), history: &history, events: events, now: now)
        #expect(after.replicas == 6)
        let capped = ScalingDecision.decide(recommended: 20, current: 9, minReplicas: 1, maxReplicas: 10, up: .defaultUp,
                                            down: .defaultDown(window: 0), history: &history, events: ScaleEvents(), now: now)
        #expect(capped.replicas == 10)
        #expect(capped.limit.reason == "TooManyReplicas")
    }

    @Test func behaviorFromTheSpecOverridesDefaults() {
        let hpa: JSONValue = ["spec": ["behavior": ["scaleDown": ["stabilizationWindowSeconds": 5, "selectPolicy": "Min",
            "policies": [["type": "Pods", "value": 1, "periodSeconds": 60]]]]]]
        let down = ScalingRules.down(hpa, defaultWindow: 300)
        #expect(down == ScalingRules(stabilizationWindowSeconds: 5, select: .min, policies: [.init(kind: .pods, value: 1, periodSeconds: 60)]))
        #expect(down.scaleDownLimit(current: 4, events: ScaleEvents(), now: now) == 3)
        #expect(ScalingRules.up(hpa) == .defaultUp)
    }

    @Test func podMetricsListsSumContainersInMilliUnits() {
        let list: JSONValue = ["items": [["metadata": ["name": "a"], "timestamp": .string(Timestamp.format(now)), "window": "10s",
                                          "containers": [["usage": ["cpu": "1500000n", "memory": "1Ki"]], ["usage": ["cpu": "20m", "memory": "1Ki"]]]]]]
        let cpu = PodResourceSamples.samples(list, resource: "cpu")
        #expect(cpu == ["a": .init(value: 22, timestamp: now, window: 10)])
        #expect(PodResourceSamples.samples(list, resource: "memory")["a"]?.value == 2_048_000)
    }
}
