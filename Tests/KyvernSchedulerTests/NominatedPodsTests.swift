import KyvernAPI
import Testing
@testable import KyvernScheduler

/// Room held for pods nominated to a node (after preemption) while their victims terminate.
@Suite struct NominatedPodsTests {
    func framework() -> Framework {
        Framework(plugins: [NodeName(), NodeResourcesFit(), InterPodAffinity()])
    }

    func pod(_ name: String, cpu: String, priority: Int64, labels: [String: String] = [:],
             spec: [String: JSONValue] = [:]) -> JSONValue {
        Fixtures.labeledPod(name, labels: labels, priority: priority, requests: ["cpu": .string(cpu)], spec: spec)
    }

    /// n1 has 2 cpu free, of which `nominated` (priority 10) will take 2.
    func snapshot(nominated: JSONValue) -> Snapshot {
        var snapshot = Snapshot(nodes: [Fixtures.node("n1", cpu: "2", labels: ["kubernetes.io/hostname": "n1"]),
                                        Fixtures.node("n2", cpu: "1", labels: ["kubernetes.io/hostname": "n2"])],
                                pods: [])
        snapshot.nominatedPods = ["n1": [NodeInfo.PodEntry(pod: nominated)]]
        return snapshot
    }

    func place(_ pod: JSONValue, _ snapshot: Snapshot) -> String? {
        try? framework().schedule(pod: pod, snapshot: snapshot).nodeName
    }

    @Test func equalOrLowerPriorityPodsDoNotTakeTheNominatedRoom() {
        let snapshot = snapshot(nominated: pod("preemptor", cpu: "2", priority: 10))
        // Only n1 has room for 2 cpu, and it is held.
        #expect(place(pod("same", cpu: "2", priority: 10), snapshot) == nil)
        #expect(place(pod("lower", cpu: "2", priority: 1), snapshot) == nil)
        #expect(place(pod("small", cpu: "1", priority: 1), snapshot) == "n2")
        // A more important pod ignores the nomination.
        #expect(place(pod("higher", cpu: "2", priority: 20), snapshot) == "n1")
        // The nominated pod itself is not kept out of its own room.
        #expect(place(pod("preemptor", cpu: "2", priority: 10), snapshot) == "n1")
    }

    @Test func theDiagnosisCountsTheHeldRoom() throws {
        let snapshot = snapshot(nominated: pod("preemptor", cpu: "2", priority: 10))
        let error = try #require(throws: FitError.self) {
            try framework().schedule(pod: pod("lower", cpu: "2", priority: 1), snapshot: snapshot)
        }
        #expect(error.message == "0/2 nodes are available: 2 Insufficient cpu.")
    }

    /// The second pass: a pod whose required affinity only a nominated pod satisfies does not
    /// fit, because that pod is not on the node yet.
    @Test func affinityToANominatedPodDoesNotCountUntilItIsBound() {
        let nominated = pod("db", cpu: "0", priority: 10, labels: ["app": "db"])
        let term = Fixtures.term(["app": "db"], topologyKey: "kubernetes.io/hostname")
        let follower = pod("web", cpu: "0", priority: 1, spec: Fixtures.affinity(required: [term]))
        var snap = snapshot(nominated: nominated)
        #expect(place(follower, snap) == nil)
        // Once db is really on n1, web follows it.
        snap = Snapshot(nodes: snap.nodes.map(\.node), pods: [Fixtures.labeledPod("db", labels: ["app": "db"], node: "n1")])
        #expect(place(follower, snap) == "n1")
    }

    @Test func nominatorFollowsStatusAndInMemoryNominations() {
        let nominator = PodNominator()
        var p = pod("p", cpu: "1", priority: 5)
        nominator.add(p, nodeName: "n1")
        // An update without nominatedNodeName (the status write has not landed) keeps it.
        nominator.update(old: p, new: p)
        #expect(nominator.byNode["n1"]?.map(\.key) == ["default/p"])
        var nominatedTo2 = p
        nominatedTo2[path: ["status", "nominatedNodeName"]] = "n2"
        nominator.update(old: p, new: nominatedTo2)
        #expect(nominator.byNode["n1"] == nil)
        #expect(nominator.node(ofPod: "default/p") == "n2")
        // Cleared by the API: the nomination goes.
        p[path: ["status", "nominatedNodeName"]] = ""
        nominator.update(old: nominatedTo2, new: p)
        #expect(nominator.byNode.isEmpty)
    }
}

/// Permit's waiting pods: released early by a plugin, rejected, or timed out.
@Suite struct WaitingPodTests {
    func waiting(_ timeouts: [String: Duration]) -> WaitingPod {
        var pod = Fixtures.pod("p")
        pod[path: ["metadata", "uid"]] = "uid-p"
        return WaitingPod(pod: pod, nodeName: "n1", timeouts: timeouts)
    }

    @Test func allowedByEveryWaitingPluginItProceedsBeforeTheTimeout() async {
        // Timeouts far beyond any scheduling delay on a loaded machine: success alone shows the release
        // came from the plugins, not from a timeout.
        let pod = waiting(["A": .seconds(600), "B": .seconds(600)])
        let clock = ContinuousClock()
        let start = clock.now
        Task {
            try await Task.sleep(for: .milliseconds(50))
            pod.allow("A")
            #expect(pod.pendingPlugins == ["B"])
            pod.allow("B")
        }
        let status = await pod.wait()
        #expect(status.isSuccess)
        #expect(clock.now - start < .seconds(300))
    }

    @Test func rejectedItFailsWithThePluginsMessage() async {
        let pod = waiting(["A": .seconds(30)])
        Task { pod.reject("A", message: "gang incomplete") }
        let status = await pod.wait()
        #expect(status == Status(.unschedulable, ["gang incomplete"], plugin: "A"))
    }

    @Test func timeoutRejectsInThePluginsName() async {
        let pod = waiting(["Slow": .milliseconds(100)])
        let status = await pod.wait()
        #expect(status == Status(.unschedulable, ["rejected due to timeout after waiting 100ms at plugin Slow"], plugin: "Slow"))
        #expect(GoDurationText(.seconds(90)).description == "1m30s")
        #expect(GoDurationText(.milliseconds(1500)).description == "1.5s")
    }

    /// A gang plugin: the first pod waits; the second, finding it in the framework's waiting
    /// pods, allows it and passes at once.
    struct Gang: PermitPlugin {
        let name = "Gang"
        func permit(state: CycleState, pod: JSONValue, nodeName: String, waitingPods: WaitingPods)
            -> (status: Status, timeout: Duration) {
            let waiting = waitingPods.all
            if waiting.isEmpty { return (Status(.wait), .seconds(30)) }
            for other in waiting { other.allow(name) }
            return (.success, .zero)
        }
    }

    @Test func aPermitPluginReleasesAnotherWaitingPod() async {
        let framework = Framework(plugins: [Gang()])
        var first = Fixtures.pod("first")
        first[path: ["metadata", "uid"]] = "uid-1"
        let (status, waits) = framework.permit(state: CycleState(), pod: first, nodeName: "n1")
        #expect(status.code == .wait)
        let waiting = framework.waitingPod(for: first, nodeName: "n1", waits: waits)
        #expect(framework.waitingPods.get(uid: "uid-1") != nil)
        let second = framework.permit(state: CycleState(), pod: Fixtures.pod("second"), nodeName: "n1")
        #expect(second.status.isSuccess)
        let verdict = await framework.waitOnPermit(waiting!)
        #expect(verdict.isSuccess)
        #expect(framework.waitingPods.get(uid: "uid-1") == nil)
    }
}
