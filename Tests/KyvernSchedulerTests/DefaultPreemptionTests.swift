import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct DefaultPreemptionTests {
    /// The default filters that matter here plus preemption.
    func framework() -> Framework {
        Framework(plugins: [NodeUnschedulable(), NodeName(), TaintToleration(), NodeAffinity(), NodePorts(),
                            NodeResourcesFit(), InterPodAffinity(), PodTopologySpread(), DefaultPreemption()])
    }

    func pod(_ name: String, cpu: String, priority: Int64?, node: String? = nil, labels: [String: String] = [:],
             start: String? = nil, spec: [String: JSONValue] = [:]) -> JSONValue {
        var p = Fixtures.labeledPod(name, labels: labels, node: node, priority: priority,
                                    requests: ["cpu": .string(cpu)], spec: spec)
        if let start { p[path: ["status", "startTime"]] = .string(start) }
        return p
    }

    func names(_ pods: [JSONValue]) -> [String] {
        pods.compactMap { $0[path: ["metadata", "name"]]?.stringValue }
    }

    func fitError(_ pod: JSONValue, _ snapshot: Snapshot) -> FitError? {
        do {
            _ = try framework().schedule(pod: pod, snapshot: snapshot)
            return nil
        } catch { return error }
    }

    @Test func evictsTheFewestLowerPriorityPodsAndReprievesTheMostImportant() throws {
        let snapshot = Snapshot(nodes: [Fixtures.node("n1", cpu: "2")], pods: [
            pod("low", cpu: "1", priority: 1, node: "n1"), pod("mid", cpu: "1", priority: 2, node: "n1")])
        let error = try #require(fitError(pod("high", cpu: "1", priority: 10), snapshot))
        #expect(error.nominatedNodeName == "n1")
        #expect(names(error.victims) == ["low"])
        #expect(error.message == "0/1 nodes are available: 1 Insufficient cpu.")
        // Needing both cpus evicts both, most important first.
        let big = try #require(fitError(pod("high", cpu: "2", priority: 10), snapshot))
        #expect(names(big.victims) == ["mid", "low"])
    }

    @Test func equalOrHigherPriorityPodsAreNeverVictims() throws {
        let snapshot = Snapshot(nodes: ["n1", "n2", "n3"].map { Fixtures.node($0, cpu: "1") },
                                pods: ["n1", "n2", "n3"].map { (n: String) in pod("p-" + n, cpu: "1", priority: 5, node: n) })
        let error = try #require(fitError(pod("new", cpu: "1", priority: 5), snapshot))
        #expect(error.nominatedNodeName == nil && error.victims.isEmpty)
        #expect(error.message == "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
            + "3 No preemption victims found for incoming pod..")
    }

    @Test func unresolvableNodesAreNotCandidates() throws {
        let snapshot = Snapshot(nodes: [Fixtures.node("big", cpu: "1", labels: ["disk": "hdd"]),
                                        Fixtures.node("small", cpu: "1", labels: ["disk": "ssd"])],
                                pods: [pod("low", cpu: "1", priority: 0, node: "big")])
        let wantsSSD = pod("new", cpu: "2", priority: 10, spec: ["nodeSelector": ["disk": "ssd"]])
        let error = try #require(fitError(wantsSSD, snapshot))
        #expect(error.nominatedNodeName == nil)
        #expect(error.message == "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node "
            + "affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..")
        // Resolvable but still too big after evicting everything: the filter's reason.
        let snapshot2 = Snapshot(nodes: [Fixtures.node("n1", cpu: "2")], pods: [pod("low", cpu: "1", priority: 0, node: "n1"),
                                                                               pod("sys", cpu: "1", priority: 100, node: "n1")])
        let error2 = try #require(fitError(pod("new", cpu: "2", priority: 10), snapshot2))
        #expect(error2.message.hasSuffix("preemption: 0/1 nodes are available: 1 Insufficient cpu.."))
    }

    @Test func preemptionPolicyNeverIsNotEligible() throws {
        let snapshot = Snapshot(nodes: [Fixtures.node("n1", cpu: "1")], pods: [pod("low", cpu: "1", priority: 0, node: "n1")])
        let error = try #require(fitError(pod("new", cpu: "1", priority: 10, spec: ["preemptionPolicy": "Never"]), snapshot))
        #expect(error.nominatedNodeName == nil)
        #expect(error.message == "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..")
    }

    @Test func nodeChoiceFollowsUpstreamOrder() throws {
        func candidate(_ node: String, _ victims: [(Int64, String?)], pdb: Int = 0) -> DefaultPreemption.Candidate {
            DefaultPreemption.Candidate(node: node, victims: victims.enumerated().map { i, v in
                NodeInfo.PodEntry(pod: pod("\(node)-\(i)", cpu: "1", priority: v.0, start: v.1))
            }, pdbViolations: pdb)
        }
        let pick = { (c: [DefaultPreemption.Candidate]) in DefaultPreemption.pickNode(c)?.node }
        // Fewest PDB violations first, even with higher-priority victims.
        #expect(pick([candidate("a", [(1, nil)], pdb: 1), candidate("b", [(5, nil)])]) == "b")
        // Lowest highest-victim priority.
        #expect(pick([candidate("a", [(5, nil)]), candidate("b", [(3, nil), (3, nil)])]) == "b")
        // Smallest priority sum.
        #expect(pick([candidate("a", [(3, nil), (2, nil)]), candidate("b", [(3, nil), (1, nil)])]) == "b")
        // Fewest victims (sums shifted per victim make more victims cost more).
        #expect(pick([candidate("a", [(3, nil), (-5, nil), (-5, nil)]), candidate("b", [(3, nil), (-5, nil)])]) == "b")
        // Latest start of the highest-priority victims.
        #expect(pick([candidate("a", [(3, "2026-01-01T00:00:00Z")]), candidate("b", [(3, "2026-02-01T00:00:00Z")])]) == "b")
        #expect(pick([candidate("a", [(3, nil)]), candidate("b", [(3, nil)])]) == "a")
        #expect(pick([]) == nil)
    }

    @Test func budgetsAreHonouredWhenChoosingVictimsAndNodes() throws {
        let budget: JSONValue = ["metadata": ["name": "db", "namespace": "default"],
                                 "spec": ["selector": ["matchLabels": ["app": "db"]]],
                                 "status": ["disruptionsAllowed": 0]]
        let pods = [pod("db-0", cpu: "1", priority: 1, node: "n1", labels: ["app": "db"]),
                    pod("web-0", cpu: "1", priority: 2, node: "n2", labels: ["app": "web"])]
        let nodes = [Fixtures.node("n1", cpu: "1"), Fixtures.node("n2", cpu: "1")]
        // Without the budget n1's lower-priority victim wins; with it, n2 (no violation).
        let free = try #require(fitError(pod("new", cpu: "1", priority: 10), Snapshot(nodes: nodes, pods: pods)))
        #expect(free.nominatedNodeName == "n1")
        let cluster = ClusterContext(podDisruptionBudgets: [budget])
        let guarded = try #require(fitError(pod("new", cpu: "1", priority: 10),
                                            Snapshot(nodes: nodes, pods: pods, cluster: cluster)))
        #expect(guarded.nominatedNodeName == "n2")
        #expect(names(guarded.victims) == ["web-0"])

        let entries = pods.map(NodeInfo.PodEntry.init(pod:))
        let split = DefaultPreemption.splitByBudgets(entries, [DefaultPreemption.Budget(json: budget)])
        #expect(names(split.violating.map(\.pod)) == ["db-0"])
        #expect(names(split.nonViolating.map(\.pod)) == ["web-0"])
    }

    @Test func antiAffinityConflictsAreResolvedByEvictingTheMatchingPod() throws {
        let host = "kubernetes.io/hostname"
        let nodes = [Fixtures.node("n1", labels: [host: "n1"])]
        let blocker = pod("old", cpu: "100m", priority: 0, node: "n1", labels: ["app": "web"])
        let bystander = pod("other", cpu: "100m", priority: 0, node: "n1", labels: ["app": "db"])
        let incoming = pod("new", cpu: "100m", priority: 10, labels: ["app": "web"],
                           spec: Fixtures.affinity(antiRequired: [Fixtures.term(["app": "web"], topologyKey: host)]))
        let error = try #require(fitError(incoming, Snapshot(nodes: nodes, pods: [blocker, bystander])))
        #expect(error.nominatedNodeName == "n1")
        #expect(names(error.victims) == ["old"])
    }

    @Test func candidateCountFollowsArgs() {
        #expect(DefaultPreemption().numCandidates(50) == 50)
        #expect(DefaultPreemption().numCandidates(5000) == 500)
        #expect(DefaultPreemption(args: ["minCandidateNodesAbsolute": 10, "minCandidateNodesPercentage": 0]).numCandidates(5000) == 10)
    }
}
