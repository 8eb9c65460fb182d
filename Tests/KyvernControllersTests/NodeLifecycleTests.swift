import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

/// A clock a test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// The fake's pods as they are at each read.
struct LivePods: ObjectCache {
    let client: FakeClient
    func get(namespace: String?, name: String) async -> JSONValue? { client.object(.pods, namespace: namespace, name: name) }
    func list(namespace: String?) async -> [JSONValue] { client.objects(.pods, namespace: namespace) }
}

enum NodeLifecycleFixtures {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func node(_ name: String, ready: String? = "True", zone: String? = nil, taints: [JSONValue] = []) -> JSONValue {
        var node = EndpointFixtures.node(name, zone: zone)
        if let ready {
            node[path: ["status", "conditions"]] = [
                ["type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                 "lastHeartbeatTime": "2027-01-15T08:00:00Z", "lastTransitionTime": "2027-01-15T08:00:00Z"],
                ["type": "Ready", "status": .string(ready), "reason": "KubeletReady",
                 "lastHeartbeatTime": "2027-01-15T08:00:00Z", "lastTransitionTime": "2027-01-15T08:00:00Z"],
            ]
        }
        if !taints.isEmpty { node[path: ["spec", "taints"]] = .array(taints) }
        return node
    }

    static func pod(_ name: String, node: String, tolerations: [JSONValue] = []) -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                              "metadata": ["name": .string(name), "namespace": "ns", "uid": .string("uid-" + name)],
                              "spec": ["nodeName": .string(node), "containers": [["name": "c", "image": "busybox"]]]]
        if !tolerations.isEmpty { pod[path: ["spec", "tolerations"]] = .array(tolerations) }
        return pod
    }

    static let defaultTolerations: [JSONValue] = [
        ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
        ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
    ]
}

@Suite struct NodeLifecycleTests {
    typealias F = NodeLifecycleFixtures
    let client = FakeClient()
    let clock = ManualClock(NodeLifecycleFixtures.start)

    func controller(_ configure: (inout ControllerManagerOptions) -> Void = { _ in }) -> NodeLifecycleController {
        var options = ControllerManagerOptions()
        options.nodeMonitorGracePeriod = .seconds(40)
        configure(&options)
        let clock = clock
        return NodeLifecycleController(client: client, nodes: LiveNodes(client: client), leases: StaticCache(objects: []),
                                       pods: LivePods(client: client), options: options, queue: nil, logger: Logger(label: "test"), now: { clock.now })
    }

    func setReady(_ node: inout JSONValue, _ field: String, _ value: JSONValue) {
        var conditions = node[path: ["status", "conditions"]]?.arrayValue ?? []
        conditions[1][field] = value
        node[path: ["status", "conditions"]] = .array(conditions)
    }

    func taintKeys(_ node: String) -> [String] {
        (client.object(.nodes, name: node)?[path: ["spec", "taints"]]?.arrayValue ?? []).map {
            "\($0["key"]?.stringValue ?? ""):\($0["effect"]?.stringValue ?? "")"
        }
    }

    @Test func aNodeSilentPastTheGracePeriodTurnsUnknownAndGetsTheUnreachableTaints() async throws {
        try client.seed(.nodes, F.node("a"))
        let lifecycle = controller()
        await lifecycle.refreshZones()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(taintKeys("a").isEmpty)
        clock.advance(39)
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(NodeConditions.readyStatus(client.object(.nodes, name: "a")!) == "True")
        clock.advance(2)
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        let node = try #require(client.object(.nodes, name: "a"))
        let conditions = node[path: ["status", "conditions"]]?.arrayValue ?? []
        #expect(conditions.map { "\($0["type"]!.stringValue!)=\($0["status"]!.stringValue!)" }
                == ["MemoryPressure=Unknown", "Ready=Unknown", "DiskPressure=Unknown", "PIDPressure=Unknown"])
        let ready = try #require(NodeConditions.condition("Ready", of: node))
        #expect(ready["reason"] == "NodeStatusUnknown")
        #expect(ready["message"] == "Kubelet stopped posting node status.")
        #expect(ready["lastHeartbeatTime"] == "2027-01-15T08:00:00Z")
        #expect(ready["lastTransitionTime"] == .string(Timestamp.format(clock.now)))
        #expect(taintKeys("a") == ["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"])
        let noExecute = node[path: ["spec", "taints"]]?.arrayValue?.last
        #expect(noExecute?["timeAdded"] == .string(Timestamp.format(clock.now)))
    }

    @Test func podsOfANodeThatFallsSilentTurnNotReadyOnceWithAWarning() async throws {
        var ready = F.pod("ready", node: "a")
        ready[path: ["status", "conditions"]] = [
            ["type": "ContainersReady", "status": "True"],
            ["type": "Ready", "status": "True", "lastTransitionTime": "2027-01-15T08:00:00Z"],
        ]
        var notReady = F.pod("starting", node: "a")
        notReady[path: ["status", "conditions"]] = [["type": "Ready", "status": "False"]]
        var elsewhere = F.pod("elsewhere", node: "b")
        elsewhere[path: ["status", "conditions"]] = [["type": "Ready", "status": "True"]]
        try client.seed(.nodes, F.node("a"), F.node("b"))
        try client.seed(.pods, ready, notReady, elsewhere)
        let lifecycle = controller()
        await lifecycle.refreshZones()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        clock.advance(41)
        // b stays heard from (its Ready heartbeat moves); a falls silent.
        var b = try #require(client.object(.nodes, name: "b"))
        setReady(&b, "lastHeartbeatTime", .string(Timestamp.format(clock.now)))
        _ = try await client.updateStatus(.nodes, b, options: WriteOptions())
        client.clearActions()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        let marked = try #require(client.object(.pods, namespace: "ns", name: "ready"))
        let conditions = marked[path: ["status", "conditions"]]?.arrayValue ?? []
        #expect(conditions.map { "\($0["type"]!.stringValue!)=\($0["status"]!.stringValue!)" }
                == ["ContainersReady=True", "Ready=False"])
        #expect(conditions[1]["lastTransitionTime"] == .string(Timestamp.format(clock.now)))
        let podWrites = client.writes.filter { $0.resource.hasPrefix("pods") }
        #expect(podWrites.count == 1, "only the ready pod on the silent node is written: \(podWrites)")
        #expect(client.object(.pods, namespace: "ns", name: "elsewhere")?[path: ["status", "conditions"]]?
                .arrayValue?.first?["status"] == "True")
        await lifecycle.recorder.flush()
        let warnings = client.objects(.events, namespace: "ns").filter { $0["reason"] == "NodeNotReady" }
        #expect(warnings.map { $0["type"] } == ["Warning"] && warnings.first?["message"] == "Node is not ready")
        // A later sync of the still-silent node writes no pod again.
        client.clearActions()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(client.writes.filter { $0.resource.hasPrefix("pods") }.isEmpty)
    }

    @Test func aFailedPodWriteIsRetriedOnTheNextSync() async throws {
        var ready = F.pod("ready", node: "a")
        ready[path: ["status", "conditions"]] = [["type": "Ready", "status": "True"]]
        try client.seed(.nodes, F.node("a"))
        try client.seed(.pods, ready)
        let lifecycle = controller()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        clock.advance(41)
        client.failNext(verb: "update", resource: "pods/status", with: APIError(code: 500, reason: "InternalError", message: "boom"))
        await #expect(throws: APIError.self) { try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a")) }
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(client.object(.pods, namespace: "ns", name: "ready")?[path: ["status", "conditions"]]?
                .arrayValue?.first?["status"] == "False")
    }

    @Test func aRenewedLeaseKeepsTheNodeReady() async throws {
        try client.seed(.nodes, F.node("a"))
        let lifecycle = controller()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        clock.advance(30)
        var node = try #require(client.object(.nodes, name: "a"))
        setReady(&node, "lastHeartbeatTime", "2027-01-15T08:00:30Z")
        _ = try await client.updateStatus(.nodes, node)
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        clock.advance(30)
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(NodeConditions.readyStatus(client.object(.nodes, name: "a")!) == "True")
        #expect(taintKeys("a").isEmpty)
    }

    @Test func notReadyGetsNotReadyTaintsAndRecoveryRemovesThemKeepingOthers() async throws {
        let own: JSONValue = ["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]
        try client.seed(.nodes, F.node("a", ready: "False", taints: [own]), F.node("b"))
        let lifecycle = controller()
        await lifecycle.refreshZones()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(taintKeys("a") == ["dedicated:NoSchedule", "node.kubernetes.io/not-ready:NoSchedule",
                                   "node.kubernetes.io/not-ready:NoExecute"])
        var node = try #require(client.object(.nodes, name: "a"))
        node[path: ["spec", "unschedulable"]] = true
        node = try await client.update(.nodes, node)
        setReady(&node, "status", "True")
        _ = try await client.updateStatus(.nodes, node)
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(taintKeys("a") == ["dedicated:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"])
    }

    @Test func newNoExecuteTaintsArePacedPerZone() async throws {
        try client.seed(.nodes, F.node("a", ready: "False", zone: "z1"), F.node("b", ready: "False", zone: "z1"),
                        F.node("c", ready: "False", zone: "z2"), F.node("d", zone: "z1"), F.node("e", zone: "z2"),
                        F.node("f", zone: "z1"), F.node("g", zone: "z1"))
        let lifecycle = controller()
        await lifecycle.refreshZones()
        for name in ["a", "b", "c"] { try await lifecycle.reconcile(ObjectKey(namespace: nil, name: name)) }
        #expect(taintKeys("a").contains("node.kubernetes.io/not-ready:NoExecute"))
        #expect(taintKeys("b") == ["node.kubernetes.io/not-ready:NoSchedule"])
        #expect(taintKeys("c").contains("node.kubernetes.io/not-ready:NoExecute"))
        clock.advance(10)  // the default rate: one node per 10 s per zone
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "b"))
        #expect(taintKeys("b").contains("node.kubernetes.io/not-ready:NoExecute"))
    }

    @Test func whenEveryZoneIsDownNothingIsEvicted() async throws {
        try client.seed(.nodes, F.node("a", ready: "False", zone: "z1"), F.node("b", ready: "False", zone: "z2"))
        let lifecycle = controller()
        await lifecycle.refreshZones()
        try await lifecycle.reconcile(ObjectKey(namespace: nil, name: "a"))
        #expect(taintKeys("a") == ["node.kubernetes.io/not-ready:NoSchedule"])
    }

    @Test func zoneStatesAndRatesFollowUpstreamsThresholds() {
        var options = ControllerManagerOptions()
        options.largeClusterSizeThreshold = 3
        #expect(ZoneState.of(ready: 0, notReady: 1, unhealthyThreshold: 0.55) == .fullDisruption)
        #expect(ZoneState.of(ready: 1, notReady: 2, unhealthyThreshold: 0.55) == .normal)
        #expect(ZoneState.of(ready: 2, notReady: 3, unhealthyThreshold: 0.55) == .partialDisruption)
        #expect(ZoneState.of(ready: 3, notReady: 3, unhealthyThreshold: 0.55) == .normal)
        let nodes = [F.node("a", ready: "False", zone: "z1"), F.node("b", ready: "False", zone: "z1"),
                     F.node("c", ready: "False", zone: "z1"), F.node("d", zone: "z1"), F.node("e", zone: "z2")]
        let zones = ZoneDisruption(nodes: nodes, unhealthyThreshold: 0.55)
        let z1 = ZoneState.zoneKey(of: nodes[0])
        #expect(zones.states[z1] == .partialDisruption)
        #expect(zones.evictionRate(zone: z1, options: options) == 0.01)
        options.largeClusterSizeThreshold = 50
        #expect(zones.evictionRate(zone: z1, options: options) == 0)
        #expect(zones.evictionRate(zone: ZoneState.zoneKey(of: nodes[4]), options: options) == 0.1)
    }

    @Test func limiterGrantsOneNodeAtATimeAtItsRate() async {
        let limiter = ZoneEvictionLimiter()
        let t = F.start
        #expect(await limiter.acquire(zone: "z", rate: 0.1, now: t, retry: .seconds(5)) == nil)
        #expect(await limiter.acquire(zone: "z", rate: 0.1, now: t.addingTimeInterval(4), retry: .seconds(5)) == .seconds(6))
        #expect(await limiter.acquire(zone: "z", rate: 0.1, now: t.addingTimeInterval(10), retry: .seconds(5)) == nil)
        #expect(await limiter.acquire(zone: "other", rate: 0, now: t, retry: .seconds(5)) == .seconds(5))
    }
}

@Suite struct TaintEvictionTests {
    typealias F = NodeLifecycleFixtures
    let client = FakeClient()
    let clock = ManualClock(NodeLifecycleFixtures.start)
    static let unreachable: JSONValue = ["key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                                         "timeAdded": .string(Timestamp.format(NodeLifecycleFixtures.start))]

    func controller() -> TaintEvictionController {
        let clock = clock
        return TaintEvictionController(client: client, pods: LivePods(client: client), nodes: LiveNodes(client: client),
                                       queue: nil, logger: Logger(label: "test"), now: { clock.now })
    }

    /// Deleted, or deleting with a grace period (pods bound to a node).
    func deleted(_ name: String) -> Bool {
        client.object(.pods, namespace: "ns", name: name).map { $0.deletionTimestamp != nil } ?? true
    }

    @Test func toleranceFollowsUpstreamsRules() {
        let taints = [Self.unreachable]
        #expect(NoExecuteTolerance.of(pod: F.pod("p", node: "a"), taints: taints) == .none)
        #expect(NoExecuteTolerance.of(pod: F.pod("p", node: "a", tolerations: F.defaultTolerations), taints: taints) == .seconds(300))
        #expect(NoExecuteTolerance.of(pod: F.pod("p", node: "a", tolerations: [["operator": "Exists"]]), taints: taints) == .forever)
        #expect(NoExecuteTolerance.of(pod: F.pod("p", node: "a", tolerations: F.defaultTolerations + [
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 0]]), taints: taints) == .none)
        let other: JSONValue = ["key": "maintenance", "effect": "NoExecute"]
        #expect(NoExecuteTolerance.of(pod: F.pod("p", node: "a", tolerations: F.defaultTolerations),
                                      taints: taints + [other]) == .none)
        #expect(NoExecuteTolerance.seconds(300).deadline(taints: taints, now: F.start.addingTimeInterval(5))
                == F.start.addingTimeInterval(300))
    }

    @Test func podsWithoutTolerationGoAtOnceOthersAfterTheirSeconds() async throws {
        try client.seed(.nodes, F.node("a", ready: "Unknown", taints: [Self.unreachable]))
        try client.seed(.pods, F.pod("bare", node: "a"), F.pod("tolerant", node: "a", tolerations: F.defaultTolerations),
                        F.pod("forever", node: "a", tolerations: [["operator": "Exists"]]))
        let eviction = controller()
        for name in ["bare", "tolerant", "forever"] { try await eviction.reconcile(ObjectKey(namespace: "ns", name: name)) }
        #expect(deleted("bare"))
        #expect(!deleted("tolerant"))
        let patched = client.writes.first { $0.verb == "patch" && $0.subresource == "status" }
        #expect(patched?.body?[path: ["status", "conditions"]]?.arrayValue?.first?["reason"] == "DeletionByTaintManager")
        clock.advance(300)
        for name in ["tolerant", "forever"] { try await eviction.reconcile(ObjectKey(namespace: "ns", name: name)) }
        #expect(deleted("tolerant"))
        #expect(!deleted("forever"))
        await eviction.recorder.flush()
        let reasons = client.objects(.events, namespace: "ns").compactMap { $0["message"]?.stringValue }.sorted()
        #expect(reasons == ["Marking for deletion Pod ns/bare", "Marking for deletion Pod ns/tolerant"])
    }
}
