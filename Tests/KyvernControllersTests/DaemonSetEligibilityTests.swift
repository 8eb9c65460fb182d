import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct DaemonSetEligibilityTests {
    func verdict(_ node: JSONValue, _ ds: JSONValue) -> (Bool, Bool) {
        let v = DaemonEligibility.evaluate(node: node, ds: ds)
        return (v.shouldRun, v.shouldContinueRunning)
    }

    @Test func anUntaintedNodeRunsTheDaemon() {
        #expect(verdict(Daemons.node("n1"), Daemons.daemonSet()) == (true, true))
    }

    @Test func nodeSelectorAndRequiredAffinityMustBothMatch() {
        let ds = Daemons.daemonSet(podSpec: [
            "nodeSelector": ["disk": "ssd"],
            "affinity": ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
                ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a", "b"]]]],
                ["matchFields": [["key": "metadata.name", "operator": "In", "values": ["special"]]]],
            ]]]],
        ])
        #expect(verdict(Daemons.node("n1", labels: ["disk": "ssd", "zone": "a"]), ds) == (true, true))
        #expect(verdict(Daemons.node("n1", labels: ["disk": "ssd", "zone": "c"]), ds) == (false, false))
        #expect(verdict(Daemons.node("special", labels: ["disk": "ssd"]), ds) == (true, true))
        #expect(verdict(Daemons.node("n1", labels: ["zone": "a"]), ds) == (false, false))
    }

    @Test func untoleratedNoScheduleTaintBlocksNewPodsButKeepsRunningOnes() {
        let node = Daemons.node("n1", taints: [Daemons.taint("dedicated", "NoSchedule", value: "infra")])
        #expect(verdict(node, Daemons.daemonSet()) == (false, true))
        let tolerating = Daemons.daemonSet(podSpec: ["tolerations": [["key": "dedicated", "operator": "Equal",
                                                                       "value": "infra", "effect": "NoSchedule"]]])
        #expect(verdict(node, tolerating) == (true, true))
    }

    @Test func untoleratedNoExecuteTaintEvictsTheDaemon() {
        let node = Daemons.node("n1", taints: [Daemons.taint("gpu", "NoExecute")])
        #expect(verdict(node, Daemons.daemonSet()) == (false, false))
        #expect(verdict(Daemons.node("n1", taints: [Daemons.taint("gpu", "PreferNoSchedule")]), Daemons.daemonSet()) == (true, true))
    }

    @Test func defaultTolerationsCoverNodeConditionTaints() {
        let node = Daemons.node("n1", taints: [
            Daemons.taint("node.kubernetes.io/not-ready", "NoExecute"), Daemons.taint("node.kubernetes.io/unreachable", "NoExecute"),
            Daemons.taint("node.kubernetes.io/unschedulable", "NoSchedule"),
            Daemons.taint("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ])
        #expect(verdict(node, Daemons.daemonSet()) == (true, true))
        let network = Daemons.node("n1", taints: [Daemons.taint("node.kubernetes.io/network-unavailable", "NoSchedule")])
        #expect(verdict(network, Daemons.daemonSet()) == (false, true))
        #expect(verdict(network, Daemons.daemonSet(podSpec: ["hostNetwork": true])) == (true, true))
    }

    @Test func templateNodeNameLimitsTheDaemonToThatNode() {
        let ds = Daemons.daemonSet(podSpec: ["nodeName": "n2"])
        #expect(verdict(Daemons.node("n1"), ds) == (false, false))
        #expect(verdict(Daemons.node("n2"), ds) == (true, true))
    }

    @Test func podTemplateAddsTolerationsLabelsAndPinsTheNode() {
        var ds = Daemons.daemonSet(podSpec: [
            "tolerations": [["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"]],
            "affinity": ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
                ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]]]]]]]],
        ])
        ds.annotations = ["deprecated.daemonset.template.generation": "3"]
        let template = DaemonPodSpec.pinned(DaemonPodSpec.template(of: ds, hash: "abc"), to: "n7")
        #expect(template[path: ["metadata", "labels"]] == ["app": "agent", "controller-revision-hash": "abc",
                                                          "pod-template-generation": "3"])
        let tolerations = template[path: ["spec", "tolerations"]]?.arrayValue ?? []
        #expect(tolerations.map { $0["key"]?.stringValue ?? "" } == [
            "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/disk-pressure",
            "node.kubernetes.io/memory-pressure", "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable",
        ])
        #expect(template[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]]
                == ["nodeSelectorTerms": [["matchFields": [["key": "metadata.name", "operator": "In", "values": ["n7"]]]]]])
        var pod: JSONValue = ["spec": template["spec"] ?? .null]
        #expect(DaemonPodSpec.targetNode(of: pod) == "n7")
        pod[path: ["spec", "nodeName"]] = "n8"
        #expect(DaemonPodSpec.targetNode(of: pod) == "n8")
    }
}
