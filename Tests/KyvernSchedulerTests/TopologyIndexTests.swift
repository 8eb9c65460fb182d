import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct TopologyIndexTests {
    let zone = "topology.kubernetes.io/zone"
    let host = "kubernetes.io/hostname"

    func nodes() -> [(String, [String: String])] {
        [("a1", [zone: "a", host: "a1"]), ("a2", [zone: "a", host: "a2"]), ("b1", [zone: "b", host: "b1"]),
         ("x", [host: "x"])]
    }

    func antiWeb(_ name: String, node: String? = nil) -> JSONValue {
        Fixtures.labeledPod(name, labels: ["app": "web"], node: node,
                            spec: Fixtures.affinity(antiRequired: [Fixtures.term(["app": "web"], topologyKey: host)]))
    }

    @Test func groupsAndTermsArePerDomain() {
        let snapshot = Fixtures.snapshot(nodes(), pods: [
            antiWeb("w1", node: "a1"), antiWeb("w2", node: "a2"), antiWeb("w3", node: "x"),
            Fixtures.labeledPod("db", labels: ["app": "db"], node: "b1"),
        ])
        let index = snapshot.topology
        let web = PodGroupKey(namespace: "default", labels: ["app": "web"], terminating: false)
        #expect(index.groups[web]?.pods == 3)
        #expect(index.groups[web]?.byKey[zone] == DomainCounts(total: 2, byValue: ["a": 2]))
        #expect(index.groups[web]?.byKey[host]?.byValue == ["a1": 1, "a2": 1, "x": 1])
        #expect(index.nodesByLabel[zone] == DomainCounts(total: 3, byValue: ["a": 2, "b": 1]))
        #expect(index.nodeCount(withKey: host) == 4)
        let terms = index.existingTerms.filter { $0.key.kind == .requiredAntiAffinity }
        #expect(terms.count == 1)
        #expect(terms.values.first?.byValue == ["a1": 1, "a2": 1, "x": 1])
    }

    /// Assuming pods and swapping in changed nodes keeps the tallies equal to a fresh count,
    /// and a group or term whose last pod leaves is dropped.
    @Test func incrementalUpdatesMatchARebuild() {
        var snapshot = Fixtures.snapshot(nodes(), pods: [antiWeb("w1", node: "a1")])
        snapshot.assume(pod: antiWeb("w2"), on: "b1")
        snapshot.assume(pod: Fixtures.labeledPod("db", labels: ["app": "db"]), on: "a1")
        #expect(snapshot.topology == Snapshot(nodes: snapshot.nodes).topology)

        // a1 is relabelled into zone b and loses its web pod.
        let a1 = NodeInfo(node: Fixtures.node("a1", labels: [zone: "b", host: "a1"]),
                          pods: [Fixtures.labeledPod("db", labels: ["app": "db"], node: "a1")])
        let replacedA1 = snapshot.replace(a1)
        #expect(replacedA1)
        #expect(snapshot.topology == Snapshot(nodes: snapshot.nodes).topology)
        #expect(snapshot.topology.nodesByLabel[zone]?.byValue == ["a": 1, "b": 2])
        #expect(snapshot.topology.groups[PodGroupKey(namespace: "default", labels: ["app": "web"], terminating: false)]?.pods == 1)

        var b1 = NodeInfo(node: Fixtures.node("b1", labels: [zone: "b", host: "b1"]))
        b1.remove(podKey: "default/w2")
        let replacedB1 = snapshot.replace(b1)
        #expect(replacedB1)
        #expect(snapshot.topology == Snapshot(nodes: snapshot.nodes).topology)
        #expect(snapshot.topology.groups[PodGroupKey(namespace: "default", labels: ["app": "web"], terminating: false)] == nil)
        #expect(snapshot.topology.existingTerms.isEmpty)
    }

    /// Terminating pods stay in their own group: counted for affinity, not for spreading.
    @Test func terminatingPodsCountForAffinityNotSpread() {
        var dying = Fixtures.labeledPod("old", labels: ["app": "web"], node: "a1")
        dying[path: ["metadata", "deletionTimestamp"]] = "2026-01-01T00:00:00Z"
        let everyZone: [(String, [String: String])] = [("a1", [zone: "a", host: "a1"]), ("b1", [zone: "b", host: "b1"])]
        let snapshot = Fixtures.snapshot(everyZone, pods: [dying])
        let spread = Fixtures.labeledPod("new", labels: ["app": "web"], spec: ["topologySpreadConstraints": [[
            "maxSkew": 1, "topologyKey": .string(zone), "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": ["matchLabels": ["app": "web"]]]]])
        let spreadResult = Fixtures.filterAll(PodTopologySpread(), pod: spread, snapshot: snapshot)
        #expect(spreadResult["a1"] == .success && spreadResult["b1"] == .success)
        let anti = antiWeb("new")
        let antiResult = Fixtures.filterAll(InterPodAffinity(), pod: anti, snapshot: snapshot)
        #expect(antiResult["a1"] == .unschedulable(InterPodAffinity.antiAffinityReason))
        #expect(antiResult["b1"] == .success)
    }

    /// With every node carrying the key, spreading reads the tallies; the domain without pods
    /// still sets the minimum, and the simulated removal of a pod (preemption) is counted.
    @Test func spreadFromTalliesWhenEveryNodeHasTheKey() {
        let everyZone: [(String, [String: String])] = [
            ("a1", [zone: "a", host: "a1"]), ("a2", [zone: "a", host: "a2"]),
            ("b1", [zone: "b", host: "b1"]), ("c1", [zone: "c", host: "c1"])]
        func web(_ name: String, _ node: String? = nil) -> JSONValue {
            Fixtures.labeledPod(name, labels: ["app": "web"], node: node, spec: ["topologySpreadConstraints": [[
                "maxSkew": 1, "topologyKey": .string(zone), "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": ["matchLabels": ["app": "web"]]]]])
        }
        let snapshot = Fixtures.snapshot(everyZone, pods: [web("w1", "a1"), web("w2", "a2"), web("w3", "b1")])
        let plugin = PodTopologySpread()
        let result = Fixtures.filterAll(plugin, pod: web("new"), snapshot: snapshot)
        #expect(result["a1"] == .unschedulable(PodTopologySpread.reason))
        #expect(result["b1"] == .unschedulable(PodTopologySpread.reason))
        #expect(result["c1"] == .success)

        var state = CycleState(snapshot: snapshot)
        #expect(plugin.preFilter(state: &state, pod: web("new"), nodes: snapshot.nodes).isSuccess)
        let b1 = snapshot["b1"]!
        plugin.removePod(state: &state, pod: web("new"), podToRemove: b1.pods["default/w3"]!, node: b1)
        #expect(plugin.filter(state: state, pod: web("new"), node: b1) == .success)
        #expect(plugin.filter(state: state, pod: web("new"), node: snapshot["a1"]!) == .unschedulable(PodTopologySpread.reason))
    }
}
