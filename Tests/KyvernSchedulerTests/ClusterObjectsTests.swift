import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Prometheus
import Testing
@testable import KyvernScheduler

/// The ClusterContext the scheduler keeps from its informers, and the plugins that read it
/// working with real objects through a running scheduler.
@Suite struct ClusterObjectsTests {
    func object(_ kind: String, _ name: String, namespace: String? = nil, labels: [String: String] = [:],
                spec: JSONValue = [:], status: JSONValue? = nil) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })]
        if let namespace { metadata["namespace"] = .string(namespace) }
        var o: JSONValue = ["kind": .string(kind), "metadata": .object(metadata), "spec": spec]
        if let status { o["status"] = status }
        return o
    }

    @Test func namespacesServicesControllersAndBudgetsFillTheContext() {
        let objects = ClusterObjects()
        objects.handleNamespace(.added(object("Namespace", "team-a", labels: ["team": "a"])))
        objects.handleService(.added(object("Service", "web", namespace: "team-a", spec: ["selector": ["app": "web"]])))
        objects.handleService(.added(object("Service", "external", namespace: "team-a", spec: ["type": "ExternalName"])))
        objects.handleController(kind: "ReplicaSet", .added(object("ReplicaSet", "web-1", namespace: "team-a",
                                                                    spec: ["selector": ["matchLabels": ["app": "web"]]])))
        objects.handleController(kind: "ReplicationController", .added(object("ReplicationController", "old", namespace: "team-a",
                                                                                spec: ["selector": ["app": "old"]])))
        let pdb = object("PodDisruptionBudget", "web", namespace: "team-a",
                         spec: ["selector": ["matchLabels": ["app": "web"]]], status: ["disruptionsAllowed": 1])
        objects.handleBudget(.added(pdb))
        var context = objects.context
        #expect(context.namespaceLabels == ["team-a": ["team": "a"]])
        #expect(context.serviceSelectors == ["team-a": [["app": "web"]]])
        #expect(context.controllerSelectors[ClusterContext.controllerKey(kind: "ReplicaSet", namespace: "team-a", name: "web-1")]
            == LabelSelector(matchLabels: ["app": "web"]))
        #expect(context.controllerSelectors[ClusterContext.controllerKey(kind: "ReplicationController", namespace: "team-a", name: "old")]
            == LabelSelector(matchLabels: ["app": "old"]))
        #expect(context.podDisruptionBudgets == [pdb])

        objects.handleNamespace(.updated(old: object("Namespace", "team-a"), new: object("Namespace", "team-a", labels: ["team": "b"])))
        objects.handleService(.deleted(object("Service", "web", namespace: "team-a", spec: ["selector": ["app": "web"]])))
        objects.handleController(kind: "ReplicaSet", .deleted(object("ReplicaSet", "web-1", namespace: "team-a")))
        objects.handleBudget(.deleted(pdb))
        context = objects.context
        #expect(context.namespaceLabels == ["team-a": ["team": "b"]])
        #expect(context.serviceSelectors.isEmpty)
        #expect(context.controllerSelectors.count == 1)
        #expect(context.podDisruptionBudgets.isEmpty)
    }

    /// A running scheduler over the fake API: the namespace informer makes a `namespaceSelector`
    /// affinity term match the pods of a labelled namespace.
    @Test func schedulerUsesNamespaceLabelsForAffinity() async throws {
        let client = FakeClient()
        try client.seed(.namespaces, object("Namespace", "team-a", labels: ["team": "a"]), object("Namespace", "default"))
        try client.seed(.nodes, Fixtures.node("n1", labels: ["kubernetes.io/hostname": "n1"]),
                        Fixtures.node("n2", labels: ["kubernetes.io/hostname": "n2"]))
        try client.seed(.pods, Fixtures.labeledPod("db", namespace: "team-a", labels: ["app": "db"], node: "n2"))
        let term = Fixtures.term(["app": "db"], topologyKey: "kubernetes.io/hostname",
                                 extra: ["namespaceSelector": ["matchLabels": ["team": "a"]]])
        try client.seed(.pods, Fixtures.labeledPod("web", spec: Fixtures.affinity(required: [term])))
        let profiles = try SchedulerProfiles.defaults(registry: .running(client: client)).frameworks
        let scheduler = Scheduler(client: client, profiles: profiles, registry: PrometheusCollectorRegistry(),
                                  logger: Logger(label: "test"), recorder: EventRecorder(instance: "test"))
        let task = Task { await scheduler.runComponents() }
        defer { task.cancel() }
        var node: String?
        for _ in 0..<200 where node == nil {
            node = client.object(.pods, namespace: "default", name: "web")?[path: ["spec", "nodeName"]]?.stringValue
            if node == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(node == "n2")
        task.cancel()
        await task.value
    }

    /// Preemption with the PDB informer: of two equal candidate nodes, the victim whose budget
    /// still allows a disruption is chosen over the one whose budget does not.
    @Test func preemptionPrefersVictimsWhoseBudgetAllowsDisruption() async throws {
        let client = FakeClient()
        try client.seed(.nodes, Fixtures.node("n1", cpu: "1"), Fixtures.node("n2", cpu: "1"))
        try client.seed(.pods, Fixtures.labeledPod("guarded", labels: ["app": "guarded"], node: "n1", priority: 1,
                                                   requests: ["cpu": "1"]),
                        Fixtures.labeledPod("spare", labels: ["app": "spare"], node: "n2", priority: 1,
                                            requests: ["cpu": "1"]))
        try client.seed(.podDisruptionBudgets,
                        object("PodDisruptionBudget", "guarded", namespace: "default",
                               spec: ["selector": ["matchLabels": ["app": "guarded"]]], status: ["disruptionsAllowed": 0]),
                        object("PodDisruptionBudget", "spare", namespace: "default",
                               spec: ["selector": ["matchLabels": ["app": "spare"]]], status: ["disruptionsAllowed": 1]))
        try client.seed(.pods, Fixtures.labeledPod("urgent", priority: 100, requests: ["cpu": "1"]))
        let profiles = try SchedulerProfiles.defaults(registry: .running(client: client)).frameworks
        let scheduler = Scheduler(client: client, profiles: profiles, registry: PrometheusCollectorRegistry(),
                                  logger: Logger(label: "test"), recorder: EventRecorder(instance: "test"))
        let task = Task { await scheduler.runComponents() }
        defer { task.cancel() }
        var nominated: String?
        for _ in 0..<200 where nominated == nil {
            nominated = client.object(.pods, namespace: "default", name: "urgent")?[path: ["status", "nominatedNodeName"]]?.stringValue
            if nominated == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(nominated == "n2")
        #expect(client.object(.pods, namespace: "default", name: "guarded") != nil)
        task.cancel()
        await task.value
    }
}
