import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Prometheus
import Testing
@testable import KyvernScheduler

/// The running scheduler against an in-memory API: what it binds, writes and records.
@Suite struct SchedulerDriverTests {
    static let events = ResourceRef(group: "events.k8s.io", version: "v1", resource: "events", namespaced: true)

    /// Runs a scheduler over `client` while `body` runs, then stops it.
    func withScheduler(_ client: FakeClient, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                       profiles: [String: Framework]? = nil,
                       _ body: () async throws -> Void) async throws {
        let profiles = try profiles ?? SchedulerProfiles.defaults(registry: .running(client: client)).frameworks
        let scheduler = Scheduler(client: client, profiles: profiles, registry: registry,
                                  logger: Logger(label: "test"), recorder: EventRecorder(instance: "test"))
        let task = Task { await scheduler.runComponents() }
        defer { task.cancel() }
        try await body()
        task.cancel()
        await task.value
    }

    /// Polls until `check` returns a value (at most 10 s).
    func eventually<T>(_ what: String, _ check: () throws -> T?) async throws -> T {
        for _ in 0..<200 {
            if let value = try check() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    func pod(_ name: String, cpu: String, priority: Int64? = nil, schedulerName: String? = nil) -> JSONValue {
        var pod = Fixtures.pod(name, requests: ["cpu": .string(cpu)])
        if let priority { pod[path: ["spec", "priority"]] = .int(priority) }
        if let schedulerName { pod[path: ["spec", "schedulerName"]] = .string(schedulerName) }
        return pod
    }

    func nodeName(_ client: FakeClient, _ name: String) -> String? {
        client.object(.pods, namespace: "default", name: name)?[path: ["spec", "nodeName"]]?.stringValue
    }

    @Test func bindsToTheNodeThatFitsAndRecordsScheduled() async throws {
        let client = FakeClient()
        try client.seed(.nodes, Fixtures.node("small", cpu: "1"), Fixtures.node("large", cpu: "8"))
        try client.seed(.pods, pod("web", cpu: "2"))
        let registry = PrometheusCollectorRegistry()
        try await withScheduler(client, registry: registry) {
            let node = try await eventually("binding") { nodeName(client, "web") }
            #expect(node == "large")
            let event = try await eventually("Scheduled event") {
                client.objects(Self.events, namespace: "default").first { $0["reason"] == "Scheduled" }
            }
            #expect(event["note"] == "Successfully assigned default/web to large")
            #expect(event["type"] == "Normal")
            #expect(event["action"] == "Binding")
            #expect(event["reportingController"] == "default-scheduler")
            #expect(event["reportingInstance"] == "default-scheduler-test")
            #expect(event[path: ["regarding", "uid"]] == client.object(.pods, namespace: "default", name: "web")?[path: ["metadata", "uid"]])
        }
        #expect(client.actions.filter { $0.subresource == "binding" }.map(\.description)
            == ["create pods/binding default/web"])
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler"} 1"#))
    }

    @Test func unschedulablePodGetsConditionEventAndFitsLater() async throws {
        let client = FakeClient()
        try client.seed(.nodes, Fixtures.node("a", cpu: "2"), Fixtures.node("b", cpu: "2"))
        try client.seed(.pods, pod("big", cpu: "4"))
        try await withScheduler(client) {
            let condition = try await eventually("PodScheduled condition") {
                client.object(.pods, namespace: "default", name: "big")?[path: ["status", "conditions"]]?
                    .arrayValue?.first { $0["type"] == "PodScheduled" }
            }
            #expect(condition["status"] == "False")
            #expect(condition["reason"] == "Unschedulable")
            let message = try #require(condition["message"]?.stringValue)
            #expect(message.hasPrefix("0/2 nodes are available: 2 Insufficient cpu."))
            let event = try await eventually("FailedScheduling event") {
                client.objects(Self.events, namespace: "default").first { $0["reason"] == "FailedScheduling" }
            }
            #expect(event["type"] == "Warning")
            #expect(event["note"]?.stringValue == message)

            // A node with room arrives: the parked pod is retried after its backoff.
            try client.seed(.nodes, Fixtures.node("c", cpu: "8"))
            let node = try await eventually("binding to c") { nodeName(client, "big") }
            #expect(node == "c")
        }
        // The condition was written once, not on every retry.
        #expect(client.actions.filter { $0.subresource == "status" && $0.resource == "pods" }.count == 1)
    }

    @Test func assumedPodsCountBeforeTheirBindingsLand() async throws {
        let client = FakeClient()
        try client.seed(.nodes, Fixtures.node("a", cpu: "3"), Fixtures.node("b", cpu: "3"))
        for i in 0..<6 { try client.seed(.pods, pod("p\(i)", cpu: "1")) }
        try await withScheduler(client) {
            let placed = try await eventually("all bound") {
                let nodes = (0..<6).compactMap { nodeName(client, "p\($0)") }
                return nodes.count == 6 ? nodes : nil
            }
            #expect(placed.filter { $0 == "a" }.count == 3)
            #expect(placed.filter { $0 == "b" }.count == 3)
        }
    }

    @Test func ignoresPodsOfOtherSchedulersAndBoundPods() async throws {
        let client = FakeClient()
        try client.seed(.nodes, Fixtures.node("a"))
        var bound = pod("bound", cpu: "1")
        bound[path: ["spec", "nodeName"]] = "a"
        try client.seed(.pods, pod("mine", cpu: "1"), pod("theirs", cpu: "1", schedulerName: "other"), bound)
        try await withScheduler(client) {
            _ = try await eventually("mine bound") { nodeName(client, "mine") }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(nodeName(client, "theirs") == nil)
        #expect(client.actions.filter { $0.subresource == "binding" }.map(\.name) == ["mine"])
    }

    @Test func failedBindingIsForgottenAndRetried() async throws {
        let client = FakeClient()
        try client.seed(.nodes, Fixtures.node("a"))
        try client.seed(.pods, pod("web", cpu: "1"))
        client.failNext(1, verb: "create", resource: "pods/binding",
                        with: APIError(code: 500, reason: "InternalError", message: "etcd is sad"))
        try await withScheduler(client) {
            let node = try await eventually("retried binding") { nodeName(client, "web") }
            #expect(node == "a")
        }
        #expect(client.actions.filter { $0.subresource == "binding" }.count == 2)
        let failed = client.objects(Self.events, namespace: "default").filter { $0["reason"] == "FailedScheduling" }
        #expect(failed.count == 1)
        #expect(failed.first?["note"]?.stringValue?.hasPrefix("running Bind plugin \"DefaultBinder\"") == true)
    }

    /// The pod informer's watch breaks and a pod is deleted meanwhile: the re-list delivers the
    /// deletion, which frees the node for the pod waiting on it.
    @Test func aDeletionMissedByTheWatchArrivesWithTheRelist() async throws {
        let client = FakeClient()
        try client.seed(.nodes, Fixtures.node("a", cpu: "1"))
        var old = pod("old", cpu: "1")
        old[path: ["spec", "nodeName"]] = "a"
        try client.seed(.pods, old, pod("new", cpu: "1"))
        try await withScheduler(client) {
            _ = try await eventually("new unschedulable") {
                client.object(.pods, namespace: "default", name: "new")?[path: ["status", "conditions"]]?.arrayValue?
                    .first { $0["type"] == "PodScheduled" }
            }
            // The next pod watch fails, so the informer lists again after its backoff.
            client.failNext(1, verb: "watch", resource: "pods",
                            with: APIError(code: 500, reason: "InternalError", message: "connection reset"))
            client.closeWatches()
            _ = try await client.delete(.pods, namespace: "default", name: "old", options: DeleteOptions(gracePeriodSeconds: 0))
            let node = try await eventually("new bound after the re-list") { nodeName(client, "new") }
            #expect(node == "a")
        }
        #expect(client.actions.filter { $0.verb == "list" && $0.resource == "pods" }.count >= 2)
    }
}
