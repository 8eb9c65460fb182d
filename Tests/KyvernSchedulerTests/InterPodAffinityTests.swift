import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct InterPodAffinityTests {
    let plugin = InterPodAffinity()
    let zone = "topology.kubernetes.io/zone"
    let host = "kubernetes.io/hostname"

    /// n1, n2 in zone a; n3 in zone b; n4 has no zone label.
    func nodes() -> [(String, [String: String])] {
        [("n1", [zone: "a", host: "n1"]), ("n2", [zone: "a", host: "n2"]),
         ("n3", [zone: "b", host: "n3"]), ("n4", [host: "n4"])]
    }

    @Test func requiredAffinityNeedsAMatchingPodInTheDomain() {
        let db = Fixtures.labeledPod("db", labels: ["app": "db"], node: "n1")
        let snapshot = Fixtures.snapshot(nodes(), pods: [db])
        let pod = Fixtures.labeledPod("web", labels: ["app": "web"],
                                      spec: Fixtures.affinity(required: [Fixtures.term(["app": "db"], topologyKey: zone)]))
        let result = Fixtures.filterAll(plugin, pod: pod, snapshot: snapshot)
        #expect(result["n1"] == .success)
        #expect(result["n2"] == .success)
        #expect(result["n3"] == .unresolvable(InterPodAffinity.affinityReason))
        #expect(result["n4"] == .unresolvable(InterPodAffinity.affinityReason))
    }

    @Test func firstPodOfASelfAffineGroupMayGoAnywhereWithTheKey() {
        let term = Fixtures.term(["app": "web"], topologyKey: zone)
        let pod = Fixtures.labeledPod("web", labels: ["app": "web"], spec: Fixtures.affinity(required: [term]))
        let result = Fixtures.filterAll(plugin, pod: pod, snapshot: Fixtures.snapshot(nodes()))
        #expect(result["n1"] == .success && result["n3"] == .success)
        #expect(result["n4"] == .unresolvable(InterPodAffinity.affinityReason))
        // A pod not matching its own term gets no such exception.
        let other = Fixtures.labeledPod("x", labels: ["app": "x"], spec: Fixtures.affinity(required: [term]))
        #expect(Fixtures.filterAll(plugin, pod: other, snapshot: Fixtures.snapshot(nodes()))["n1"]
            == .unresolvable(InterPodAffinity.affinityReason))
        // Once a matching pod exists, only its domain qualifies.
        let placed = Fixtures.snapshot(nodes(), pods: [Fixtures.labeledPod("w0", labels: ["app": "web"], node: "n3")])
        let after = Fixtures.filterAll(plugin, pod: pod, snapshot: placed)
        #expect(after["n1"] == .unresolvable(InterPodAffinity.affinityReason))
        #expect(after["n3"] == .success)
    }

    @Test func requiredAntiAffinityByHostnameAndZone() {
        let web = Fixtures.labeledPod("w0", labels: ["app": "web"], node: "n1")
        let snapshot = Fixtures.snapshot(nodes(), pods: [web])
        let byHost = Fixtures.labeledPod("w1", labels: ["app": "web"],
                                         spec: Fixtures.affinity(antiRequired: [Fixtures.term(["app": "web"], topologyKey: host)]))
        let hostResult = Fixtures.filterAll(plugin, pod: byHost, snapshot: snapshot)
        #expect(hostResult["n1"] == .unschedulable(InterPodAffinity.antiAffinityReason))
        #expect(hostResult["n2"] == .success)
        let byZone = Fixtures.labeledPod("w1", labels: ["app": "web"],
                                         spec: Fixtures.affinity(antiRequired: [Fixtures.term(["app": "web"], topologyKey: zone)]))
        let zoneResult = Fixtures.filterAll(plugin, pod: byZone, snapshot: snapshot)
        #expect(zoneResult["n2"] == .unschedulable(InterPodAffinity.antiAffinityReason))
        #expect(zoneResult["n3"] == .success)
        #expect(zoneResult["n4"] == .success)
    }

    @Test func existingPodsAntiAffinityIsSymmetric() {
        let guardPod = Fixtures.labeledPod("g", labels: ["app": "guard"], node: "n1",
                                           spec: Fixtures.affinity(antiRequired: [Fixtures.term(["app": "web"], topologyKey: zone)]))
        let snapshot = Fixtures.snapshot(nodes(), pods: [guardPod])
        let web = Fixtures.labeledPod("w", labels: ["app": "web"])
        let result = Fixtures.filterAll(plugin, pod: web, snapshot: snapshot)
        #expect(result["n1"] == .unschedulable(InterPodAffinity.existingAntiAffinityReason))
        #expect(result["n2"] == .unschedulable(InterPodAffinity.existingAntiAffinityReason))
        #expect(result["n3"] == .success)
        // A pod the term does not select, or from another namespace, is unaffected.
        #expect(Fixtures.filterAll(plugin, pod: Fixtures.labeledPod("o", labels: ["app": "other"]), snapshot: snapshot)
            .values.allSatisfy { $0.isSuccess })
        #expect(Fixtures.filterAll(plugin, pod: Fixtures.labeledPod("w", namespace: "other", labels: ["app": "web"]),
                                   snapshot: snapshot).values.allSatisfy { $0.isSuccess })
        // Nothing to check at all: PreFilter skips.
        var state = CycleState(snapshot: Fixtures.snapshot(nodes()))
        #expect(plugin.preFilter(state: &state, pod: web, nodes: []).isSkip)
    }

    @Test func namespacesAndNamespaceSelector() {
        let db = Fixtures.labeledPod("db", namespace: "data", labels: ["app": "db"], node: "n3")
        let cluster = ClusterContext(namespaceLabels: ["data": ["team": "storage"], "default": [:]])
        let snapshot = Fixtures.snapshot(nodes(), pods: [db], cluster: cluster)
        func pod(_ extra: [String: JSONValue]) -> JSONValue {
            Fixtures.labeledPod("web", labels: ["app": "web"], spec: Fixtures.affinity(
                required: [Fixtures.term(["app": "db"], topologyKey: zone, extra: extra)]))
        }
        // Own namespace only by default: the db pod in "data" is invisible.
        #expect(Fixtures.filterAll(plugin, pod: pod([:]), snapshot: snapshot)["n3"]
            == .unresolvable(InterPodAffinity.affinityReason))
        #expect(Fixtures.filterAll(plugin, pod: pod(["namespaces": ["data"]]), snapshot: snapshot)["n3"] == .success)
        #expect(Fixtures.filterAll(plugin, pod: pod(["namespaceSelector": [:]]), snapshot: snapshot)["n3"] == .success)
        #expect(Fixtures.filterAll(plugin, pod: pod(["namespaceSelector": ["matchLabels": ["team": "storage"]]]),
                                   snapshot: snapshot)["n3"] == .success)
        #expect(Fixtures.filterAll(plugin, pod: pod(["namespaceSelector": ["matchLabels": ["team": "web"]]]),
                                   snapshot: snapshot)["n3"] == .unresolvable(InterPodAffinity.affinityReason))
    }

    @Test func matchLabelKeysNarrowTheSelectorToTheOwnValue() {
        let v1 = Fixtures.labeledPod("a", labels: ["app": "web", "rev": "1"], node: "n1")
        let snapshot = Fixtures.snapshot(nodes(), pods: [v1])
        let term = Fixtures.term(["app": "web"], topologyKey: host, extra: ["matchLabelKeys": ["rev"]])
        let rev2 = Fixtures.labeledPod("b", labels: ["app": "web", "rev": "2"], spec: Fixtures.affinity(antiRequired: [term]))
        #expect(Fixtures.filterAll(plugin, pod: rev2, snapshot: snapshot)["n1"] == .success)
        let rev1 = Fixtures.labeledPod("b", labels: ["app": "web", "rev": "1"], spec: Fixtures.affinity(antiRequired: [term]))
        #expect(Fixtures.filterAll(plugin, pod: rev1, snapshot: snapshot)["n1"]
            == .unschedulable(InterPodAffinity.antiAffinityReason))
        let mismatch = Fixtures.term(["app": "web"], topologyKey: host, extra: ["mismatchLabelKeys": ["rev"]])
        let other = Fixtures.labeledPod("b", labels: ["app": "web", "rev": "2"], spec: Fixtures.affinity(antiRequired: [mismatch]))
        #expect(Fixtures.filterAll(plugin, pod: other, snapshot: snapshot)["n1"]
            == .unschedulable(InterPodAffinity.antiAffinityReason))
    }

    @Test func addAndRemovePodKeepCountsRight() {
        let web = Fixtures.labeledPod("w0", labels: ["app": "web"], node: "n1")
        let snapshot = Fixtures.snapshot(nodes(), pods: [web])
        let pod = Fixtures.labeledPod("w1", labels: ["app": "web"],
                                      spec: Fixtures.affinity(antiRequired: [Fixtures.term(["app": "web"], topologyKey: host)]))
        var state = CycleState(snapshot: snapshot)
        _ = plugin.preFilter(state: &state, pod: pod, nodes: snapshot.nodes)
        var n1 = snapshot["n1"]!
        let entry = n1.pods.values.first!
        n1.remove(podKey: entry.key)
        plugin.removePod(state: &state, pod: pod, podToRemove: entry, node: n1)
        #expect(plugin.filter(state: state, pod: pod, node: n1) == .success)
        n1.add(entry: entry)
        plugin.addPod(state: &state, pod: pod, podToAdd: entry, node: n1)
        #expect(plugin.filter(state: state, pod: pod, node: n1) == .unschedulable(InterPodAffinity.antiAffinityReason))
    }

    @Test func preferredTermsScoreAndNormalize() throws {
        let db = Fixtures.labeledPod("db", labels: ["app": "db"], node: "n1")
        let cache = Fixtures.labeledPod("cache", labels: ["app": "cache"], node: "n3")
        let snapshot = Fixtures.snapshot(nodes(), pods: [db, cache])
        let pod = Fixtures.labeledPod("web", labels: ["app": "web"], spec: Fixtures.affinity(
            preferred: [(10, Fixtures.term(["app": "db"], topologyKey: zone))],
            antiPreferred: [(5, Fixtures.term(["app": "cache"], topologyKey: zone))]))
        // raw: n1 10, n2 10, n3 -5, n4 0 → min-max over [-5, 10].
        let scores = try #require(Fixtures.scoreAll(plugin, pod: pod, snapshot: snapshot))
        #expect(scores == ["n1": 100, "n2": 100, "n3": 0, "n4": 33])
        // A pod with no preferences and no affinity pods around: skipped.
        #expect(Fixtures.scoreAll(plugin, pod: Fixtures.labeledPod("x"), snapshot: snapshot) == nil)
    }

    @Test func existingPodsTermsScoreTowardTheirDomains() throws {
        let requiring = Fixtures.labeledPod("r", labels: ["app": "r"], node: "n1", spec: Fixtures.affinity(
            required: [Fixtures.term(["app": "web"], topologyKey: zone)]))
        let preferring = Fixtures.labeledPod("p", labels: ["app": "p"], node: "n3", spec: Fixtures.affinity(
            preferred: [(3, Fixtures.term(["app": "web"], topologyKey: zone))]))
        let avoiding = Fixtures.labeledPod("v", labels: ["app": "v"], node: "n2", spec: Fixtures.affinity(
            antiPreferred: [(2, Fixtures.term(["app": "web"], topologyKey: host))]))
        let snapshot = Fixtures.snapshot(nodes(), pods: [requiring, preferring, avoiding])
        let web = Fixtures.labeledPod("web", labels: ["app": "web"])
        // hardPodAffinityWeight 1: zone a +1 (n1, n2); zone b +3 (n3); host n2 -2 → n1 1, n2 -1, n3 3, n4 0.
        let scores = try #require(Fixtures.scoreAll(plugin, pod: web, snapshot: snapshot))
        #expect(scores == ["n1": 50, "n2": 0, "n3": 100, "n4": 25])
        let heavy = InterPodAffinity(args: ["hardPodAffinityWeight": 10])
        let weighted = try #require(Fixtures.scoreAll(heavy, pod: web, snapshot: snapshot))
        // n1 10, n2 8, n3 3, n4 0.
        #expect(weighted == ["n1": 100, "n2": 80, "n3": 30, "n4": 0])
        #expect(Fixtures.scoreAll(InterPodAffinity(args: ["ignorePreferredTermsOfExistingPods": true]),
                                  pod: web, snapshot: snapshot) == nil)
    }

    @Test func frameworkDiagnosisUsesUpstreamMessages() throws {
        let web = Fixtures.labeledPod("w0", labels: ["app": "web"], node: "n1")
        let pod = Fixtures.labeledPod("w1", labels: ["app": "web"], spec: Fixtures.affinity(
            antiRequired: [Fixtures.term(["app": "web"], topologyKey: zone)]))
        let framework = Framework(plugins: [InterPodAffinity()])
        let three = Fixtures.snapshot(Array(nodes().prefix(3)), pods: [web])
        #expect(try framework.schedule(pod: pod, snapshot: three).nodeName == "n3")
        let two = Fixtures.snapshot(Array(nodes().prefix(2)), pods: [web])
        #expect(throws: FitError.self) { try framework.schedule(pod: pod, snapshot: two) }
        do {
            _ = try framework.schedule(pod: pod, snapshot: two)
        } catch {
            #expect(error.message == "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.")
        }
    }
}
