import AsyncHTTPClient
import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import KyvernTestSupport
import Logging
import Synchronization

@testable import KyvernKubelet

/// A clock tests move by hand; sleeping only yields.
final class ManualClock: AgentClock {
    let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        await Task.yield()
    }
}

/// Volumes that record what was asked and can be told to fail.
final class FakeVolumes: PodVolumeManaging {
    let log = Mutex<[String]>([])
    let failure = Mutex<String?>(nil)
    struct Failure: Error, CustomStringConvertible { var description: String }
    func setUp(pod: JSONValue) async throws {
        log.withLock { $0.append("setUp " + (pod[path: ["metadata", "uid"]]?.stringValue ?? "")) }
        if let message = failure.withLock({ $0 }) { throw Failure(description: message) }
    }
    func mounts(pod: JSONValue, container: JSONValue) async throws -> [Mount] {
        (container["volumeMounts"]?.arrayValue ?? []).map {
            Mount(containerPath: $0["mountPath"]?.stringValue ?? "", hostPath: "/pods/" + ($0["name"]?.stringValue ?? ""),
                  readOnly: $0["readOnly"] == .bool(true))
        }
    }
    func tearDown(podUID: String) async throws { log.withLock { $0.append("tearDown " + podUID) } }
    func volumesInUse() async -> [String] { [] }
    var calls: [String] { log.withLock { $0 } }
}

/// Literal env values only; a container named in `failing` fails as a missing ConfigMap key would.
struct FakeEnvironment: ContainerEnvironmentResolving {
    var failing: Set<String> = []
    struct Failure: Error, CustomStringConvertible { var description: String }
    func resolve(pod: JSONValue, container: JSONValue, nodeName: String, nodeIP: String, podIP: String) async throws -> [EnvVar] {
        if failing.contains(container["name"]?.stringValue ?? "") {
            throw Failure(description: "configmap \"settings\" not found")
        }
        return (container["env"]?.arrayValue ?? []).map {
            EnvVar(name: $0["name"]?.stringValue ?? "", value: $0["value"]?.stringValue ?? "")
        }
    }
}

/// Everything a pod worker test needs, wired like the agent wires it.
struct AgentHarness {
    let client = FakeClient()
    let clock = ManualClock()
    let runtime: FakeRuntime
    let volumes = FakeVolumes()
    var context: PodContext
    let http: HTTPClient

    init(environment: FakeEnvironment = FakeEnvironment()) {
        let clock = self.clock
        runtime = FakeRuntime(runtimeName: "runc", now: { clock.now() })
        http = HTTPClient(eventLoopGroupProvider: .singleton)
        let logger = Logger(label: "test")
        let events = PodEventRecorder(client: client, nodeName: "node-1", clock: clock, logger: logger)
        let prober = Prober(runtime: runtime, http: http, userAgent: "kube-probe/1.36")
        context = PodContext(
            client: client, runtime: runtime, images: runtime, volumes: volumes, environment: environment, events: events,
            probes: ProbeManager(prober: prober, clock: clock, events: events, metrics: nil, logger: logger),
            prober: prober, clock: clock,
            sandboxes: SandboxConfigBuilder(logRoot: "/data/agent/logs", clusterDNS: ["10.43.0.10"], clusterDomain: "cluster.local",
                                            hostDNS: DNSConfig(servers: ["192.168.1.1"], searches: ["lan"]), nodeName: "node-1"),
            nodeName: "node-1", nodeIP: "192.168.1.20", runtimeName: "runc", metrics: nil, logger: logger)
    }

    func shutdown() async { try? await http.shutdown() }

    /// A pod bound to node-1, seeded in the fake API; `spec` fields override the defaults.
    @discardableResult
    func pod(_ name: String = "web", containers: [JSONValue] = [AgentHarness.container("app")], initContainers: [JSONValue] = [],
             spec extra: [String: JSONValue] = [:]) throws -> JSONValue {
        var spec: [String: JSONValue] = ["nodeName": "node-1", "containers": .array(containers), "restartPolicy": "Always"]
        if !initContainers.isEmpty { spec["initContainers"] = .array(initContainers) }
        spec.merge(extra) { _, new in new }
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": .object(spec),
            "status": ["phase": "Pending", "conditions": [["type": "PodScheduled", "status": "True",
                                                           "lastTransitionTime": "2027-01-15T08:00:00Z"]]],
        ]
        return try client.seed(.pods, pod)[0]
    }

    static func container(_ name: String, image: String = "127.0.0.1:5000/busybox:1.36", extra: [String: JSONValue] = [:]) -> JSONValue {
        var container: [String: JSONValue] = ["name": .string(name), "image": .string(image), "imagePullPolicy": "IfNotPresent",
                                              "command": ["sleep", "3600"]]
        container.merge(extra) { _, new in new }
        return .object(container)
    }

    /// The pod as the API has it now.
    func stored(_ name: String = "web") -> JSONValue? { client.object(.pods, namespace: "default", name: name) }

    func worker(for pod: JSONValue) -> PodWorker {
        PodWorker(context: context, uid: pod[path: ["metadata", "uid"]]?.stringValue ?? "", wake: {})
    }

    /// Syncs with the pod as currently stored (the informer's view).
    @discardableResult
    func sync(_ worker: PodWorker, _ name: String = "web") async -> Bool {
        guard let pod = stored(name) else { return true }
        return await worker.sync(pod)
    }

    func containerStatus(_ name: String, pod: String = "web", key: String = "containerStatuses") -> JSONValue? {
        stored(pod)?[path: ["status", key]]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    func condition(_ type: String, pod: String = "web") -> JSONValue? {
        stored(pod)?[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// (reason, message) of every Event written, in order, once the recorder's queue is written.
    func events() async -> [(String, String)] {
        await context.events.flush()
        return client.objects(.events).sorted {
            ($0[path: ["metadata", "resourceVersion"]]?.stringValue.flatMap { Int($0) } ?? 0)
                < ($1[path: ["metadata", "resourceVersion"]]?.stringValue.flatMap { Int($0) } ?? 0)
        }.map { ($0["reason"]?.stringValue ?? "", $0["message"]?.stringValue ?? "") }
    }
}
