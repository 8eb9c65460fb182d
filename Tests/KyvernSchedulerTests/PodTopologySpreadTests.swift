import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct PodTopologySpreadTests {
    let plugin = PodTopologySpread()
    let zone = "topology.kubernetes.io/zone"
    let host = "kubernetes.io/hostname"

    /// a1, a2 in zone a; b1 in zone b; c1 in zone c; x has no zone.
    func nodes() -> [(String, [String: String])] {
        [("a1", [zone: "a", host: "a1"]), ("a2", [zone: "a", host: "a2"]), ("b1", [zone: "b", host: "b1"]),
         ("c1", [zone: "c", host: "c1"]), ("x", [host: "x"])]
    }

    func constraint(_ key: String, maxSkew: Int64 = 1, when: String = "DoNotSchedule",
                    extra: [String: JSONValue] = [:]) -> JSONValue {
        var c: [String: JSONValue] = ["maxSkew": .int(maxSkew), "topologyKey": .string(key),
                                      "whenUnsatisfiable": .string(when),
                                      "labelSelector": ["matchLabels": ["app": "web"]]]
        c.merge(extra) { $1 }
        return .object(c)
    }

    func web(_ name: String, on node: String? = nil, namespace: String = "default", constraints: [JSONValue] = [],
             extraLabels: [String: String] = [:]) -> JSONValue {
        Fixtures.labeledPod(name, namespace: namespace, labels: ["app": "web"].merging(extraLabels) { $1 }, node: node,
                            spec: constraints.isEmpty ? [:] : ["topologySpreadConstraints": .array(constraints)])
    }

    @Test func maxSkewAgainstTheEmptiestDomain() {
        // zone a: 2, b: 1, c: 0 → only c keeps skew ≤ 1 (a: 2+1-0, b: 1+1-0 = 2).
        let snapshot = Fixtures.snapshot(nodes(), pods: [web("w1", on: "a1"), web("w2", on: "a2"), web("w3", on: "b1")])
        let pod = web("new", constraints: [constraint(zone)])
        let result = Fixtures.filterAll(plugin, pod: pod, snapshot: snapshot)
        #expect(result["a1"] == .unschedulable(PodTopologySpread.reason))
        #expect(result["b1"] == .unschedulable(PodTopologySpread.reason))
        #expect(result["c1"] == .success)
        #expect(result["x"] == .unresolvable(PodTopologySpread.missingLabelReason))
        // maxSkew 2 lets b in.
        let loose = Fixtures.filterAll(plugin, pod: web("new", constraints: [constraint(zone, maxSkew: 2)]), snapshot: snapshot)
        #expect(loose["b1"] == .success && loose["a1"] == .unschedulable(PodTopologySpread.reason))
    }

    @Test func onlyMatchingPodsOfTheSameNamespaceCount() {
        let pods = [web("w1", on: "a1", namespace: "other"), Fixtures.labeledPod("db", labels: ["app": "db"], node: "a1"),
                    web("w2", on: "b1"), web("w3", on: "c1")]
        var terminating = web("w4", on: "a2")
        terminating[path: ["metadata", "deletionTimestamp"]] = "2026-01-01T00:00:00Z"
        let snapshot = Fixtures.snapshot(nodes(), pods: pods + [terminating])
        let result = Fixtures.filterAll(plugin, pod: web("new", constraints: [constraint(zone)]), snapshot: snapshot)
        #expect(result["a1"] == .success)
        #expect(result["b1"] == .unschedulable(PodTopologySpread.reason))
        // A pod its own selector does not match adds no self count.
        let other = Fixtures.labeledPod("o", labels: ["app": "other"], spec: ["topologySpreadConstraints": [constraint(zone)]])
        #expect(Fixtures.filterAll(plugin, pod: other, snapshot: snapshot)["b1"] == .success)
    }

    @Test func minDomainsTreatsMissingDomainsAsEmpty() {
        // Only zones a and b exist (c1 and x left out); a: 1, b: 1.
        let snapshot = Fixtures.snapshot(Array(nodes().prefix(3)), pods: [web("w1", on: "a1"), web("w2", on: "b1")])
        #expect(Fixtures.filterAll(plugin, pod: web("n", constraints: [constraint(zone)]), snapshot: snapshot)["a1"] == .success)
        let pod = web("n", constraints: [constraint(zone, extra: ["minDomains": 3])])
        #expect(Fixtures.filterAll(plugin, pod: pod, snapshot: snapshot)["a1"] == .unschedulable(PodTopologySpread.reason))
    }

    @Test func nodeInclusionPolicies() {
        // b1 is tainted and excluded from zone domains only when taints are honored.
        var entries = nodes()
        entries.removeLast()
        let tainted = Fixtures.node("b1", labels: [zone: "b", host: "b1"],
                                    taints: [Fixtures.taint("dedicated", effect: "NoSchedule")])
        let infos = entries.filter { $0.0 != "b1" }.map { NodeInfo(node: Fixtures.node($0.0, labels: $0.1)) }
            + [NodeInfo(node: tainted)]
        let pods = [web("w1", on: "a1"), web("w2", on: "c1")]
        let snapshot = Snapshot(nodes: infos.map { info in
            var info = info
            for pod in pods where pod[path: ["spec", "nodeName"]]?.stringValue == info.name { info.add(pod: pod) }
            return info
        })
        // Ignore taints (default): b is an empty domain → min 0 → a1 (1+1-0 = 2) rejected.
        let ignore = Fixtures.filterAll(plugin, pod: web("n", constraints: [constraint(zone)]), snapshot: snapshot)
        #expect(ignore["a1"] == .unschedulable(PodTopologySpread.reason))
        let honor = web("n", constraints: [constraint(zone, extra: ["nodeTaintsPolicy": "Honor"])])
        #expect(Fixtures.filterAll(plugin, pod: honor, snapshot: snapshot)["a1"] == .success)
        // nodeAffinityPolicy Honor (default): nodes the pod's selector excludes are no domains.
        var selective = web("n", constraints: [constraint(zone)])
        selective[path: ["spec", "nodeSelector"]] = [zone: "a"]
        let honored = Fixtures.filterAll(plugin, pod: selective, snapshot: snapshot)
        #expect(honored["a1"] == .success)
        var ignoring = web("n", constraints: [constraint(zone, extra: ["nodeAffinityPolicy": "Ignore"])])
        ignoring[path: ["spec", "nodeSelector"]] = [zone: "a"]
        #expect(Fixtures.filterAll(plugin, pod: ignoring, snapshot: snapshot)["a1"] == .unschedulable(PodTopologySpread.reason))
    }

    @Test func matchLabelKeysCountOnlyTheSameRevision() {
        let snapshot = Fixtures.snapshot(nodes(), pods: [web("old1", on: "a1", extraLabels: ["rev": "1"]),
                                                         web("old2", on: "a2", extraLabels: ["rev": "1"])])
        let pod = web("new", constraints: [constraint(zone, extra: ["matchLabelKeys": ["rev"]])], extraLabels: ["rev": "2"])
        #expect(Fixtures.filterAll(plugin, pod: pod, snapshot: snapshot)["a1"] == .success)
        let same = web("new", constraints: [constraint(zone, extra: ["matchLabelKeys": ["rev"]])], extraLabels: ["rev": "1"])
        #expect(Fixtures.filterAll(plugin, pod: same, snapshot: snapshot)["a1"] == .unschedulable(PodTopologySpread.reason))
    }

    @Test func removingAPodInPreemptionUpdatesCounts() {
        let snapshot = Fixtures.snapshot([nodes()[0], nodes()[2]], pods: [web("w1", on: "a1")])
        let pod = web("new", constraints: [constraint(zone)])
        var state = CycleState(snapshot: snapshot)
        _ = plugin.preFilter(state: &state, pod: pod, nodes: snapshot.nodes)
        #expect(plugin.filter(state: state, pod: pod, node: snapshot["a1"]!) == .unschedulable(PodTopologySpread.reason))
        let a1 = snapshot["a1"]!
        plugin.removePod(state: &state, pod: pod, podToRemove: a1.pods.values.first!, node: a1)
        #expect(plugin.filter(state: state, pod: pod, node: a1) == .success)
    }

    @Test func scheduleAnywayScoresEmptierDomainsHigher() throws {
        let snapshot = Fixtures.snapshot(nodes(), pods: [web("w1", on: "a1"), web("w2", on: "a2"), web("w3", on: "b1")])
        let pod = web("new", constraints: [constraint(zone, when: "ScheduleAnyway")])
        // No DoNotSchedule constraint: the filter is skipped.
        var state = CycleState(snapshot: snapshot)
        #expect(plugin.preFilter(state: &state, pod: pod, nodes: snapshot.nodes).isSkip)
        // weight log(3 + 2); raw: a 2·w = 3, b 1·w ≈ 2, c 0; x ignored (no zone).
        let scores = try #require(Fixtures.scoreAll(plugin, pod: pod, snapshot: snapshot))
        #expect(scores == ["a1": 0, "a2": 0, "b1": 33, "c1": 100, "x": 0])
    }

    @Test func systemDefaultsApplyToPodsOfAServiceOnly() throws {
        let cluster = ClusterContext(serviceSelectors: ["default": [["app": "web"]]])
        let snapshot = Fixtures.snapshot(nodes(), pods: [web("w1", on: "a1"), web("w2", on: "a1")], cluster: cluster)
        let pod = web("new")
        // hostname (maxSkew 3) and zone (maxSkew 5); nodes without a zone still score by hostname.
        let scores = try #require(Fixtures.scoreAll(plugin, pod: pod, snapshot: snapshot))
        #expect(scores["a1"]! < scores["a2"]!)
        #expect(scores["a2"]! < scores["b1"]!)
        #expect(scores["x"]! > 0)
        // Not selected by any Service and no controller: no default constraints.
        #expect(Fixtures.scoreAll(plugin, pod: Fixtures.labeledPod("lone", labels: ["app": "lone"]), snapshot: snapshot) == nil)
        // List defaulting with no constraints: nothing either.
        #expect(Fixtures.scoreAll(PodTopologySpread(args: ["defaultingType": "List"]), pod: pod, snapshot: snapshot) == nil)
    }

    @Test func defaultSelectorFromTheControllingReplicaSet() {
        let selector = LabelSelector(matchLabels: ["app": "web", "pod-template-hash": "abc"])
        let cluster = ClusterContext(controllerSelectors: [ClusterContext.controllerKey(kind: "ReplicaSet", namespace: "default", name: "web-abc"): selector])
        var pod = web("new")
        pod[path: ["metadata", "ownerReferences"]] = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                                       "uid": "u", "controller": true]]
        let derived = PodTopologySpread.defaultSelector(pod: pod, labels: ["app": "web"], cluster: cluster)
        #expect(derived == selector)
        let listed = PodTopologySpread(args: ["defaultingType": "List", "defaultConstraints": [
            ["maxSkew": 1, "topologyKey": .string(zone), "whenUnsatisfiable": "DoNotSchedule"]]])
        let snapshot = Fixtures.snapshot(nodes(), pods: [], cluster: cluster)
        var state = CycleState(snapshot: snapshot)
        #expect(listed.preFilter(state: &state, pod: pod, nodes: snapshot.nodes) == .success)
    }

    @Test func scoresFromTheTalliesEqualScoresFromWalkingTheNodes() throws {
        // Pods spread unevenly, some on the node without a zone; the system-default shape (zone and
        // host name, ScheduleAnyway). Honouring taints (there are none) makes the plugin walk every
        // node instead of reading the snapshot's tallies: both must give the same scores.
        let pods = [web("w1", on: "a1"), web("w2", on: "a1"), web("w3", on: "b1"), web("w4", on: "x"), web("w5", on: "x"),
                    web("w6", on: "x"), Fixtures.labeledPod("db", labels: ["app": "db"], node: "c1")]
        let snapshot = Fixtures.snapshot(nodes(), pods: pods)
        for feasible in [snapshot.nodes, snapshot.nodes.filter { $0.name != "a2" }] {
            func scores(_ extra: [String: JSONValue]) throws -> [String: Int64] {
                let pod = web("new", constraints: [constraint(zone, maxSkew: 5, when: "ScheduleAnyway", extra: extra),
                                                   constraint(host, maxSkew: 3, when: "ScheduleAnyway", extra: extra)])
                return try #require(Fixtures.scoreAll(plugin, pod: pod, snapshot: snapshot, nodes: feasible))
            }
            let tallied = try scores([:])
            let walked = try scores(["nodeTaintsPolicy": "Honor"])
            #expect(tallied == walked)
            #expect(tallied["c1"]! > tallied["a1"]!)
        }
    }

    @Test func systemDefaultsCountPodsOnNodesWithoutAZoneTowardTheEmptyValue() throws {
        let cluster = ClusterContext(serviceSelectors: ["default": [["app": "web"]]])
        let pods = [web("w1", on: "a1"), web("w2", on: "a1"), web("w3", on: "b1"), web("w4", on: "x"), web("w5", on: "x"),
                    web("w6", on: "x"), Fixtures.labeledPod("db", labels: ["app": "db"], node: "c1")]
        let snapshot = Fixtures.snapshot(nodes(), pods: pods, cluster: cluster)
        var state = CycleState(snapshot: snapshot)
        #expect(plugin.preScore(state: &state, pod: web("new"), nodes: snapshot.nodes) == .success)
        let scoreState = try #require(state.read(PodTopologySpread.scoreKey, as: PodTopologySpread.ScoreState.self))
        let byKey = Dictionary(uniqueKeysWithValues: zip(scoreState.constraints.map(\.topologyKey), scoreState.counts))
        #expect(byKey[zone] == ["a": 2, "b": 1, "c": 0, "": 3])
        #expect(byKey[host] == ["a1": 2, "b1": 1, "x": 3])
    }
}
