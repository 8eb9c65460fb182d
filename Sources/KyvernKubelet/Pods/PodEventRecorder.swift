import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Writes core/v1 Events about pods the way upstream's kubelet does (`source.component: kubelet`,
/// `involvedObject.fieldPath` naming the container). A repeat of the same event on the same
/// object raises the count of the Event already written instead of writing another, as
/// upstream's correlator does. Best effort: failures are logged, never thrown.
///
/// Recording only queues: ``run()`` — a child task of the agent's loops — posts the queue in
/// order, so a pod worker never waits for an Event's round trip before it starts the container or
/// reports its status (upstream's broadcaster is asynchronous too).
actor PodEventRecorder {
    let client: any KubernetesClient
    let nodeName: String
    let clock: any AgentClock
    let logger: Logger
    /// Event name and count by (pod uid, fieldPath, type, reason, message).
    private var written: [String: (namespace: String, name: String, count: Int64)] = [:]
    private var order: [String] = []
    static let remembered = 4096
    /// Events waiting for the writer, oldest first; beyond `pendingLimit` the oldest are dropped.
    private var pending: [Pending] = []
    static let pendingLimit = 1024
    /// Set while one caller writes the queue; others wait for it, so writes stay in order.
    private var draining = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    struct Pending: Sendable {
        var pod: JSONValue
        var container: String?
        var type: String
        var reason: String
        var message: String
        var at: Date
    }

    init(client: any KubernetesClient, nodeName: String, clock: any AgentClock, logger: Logger) {
        self.client = client
        self.nodeName = nodeName
        self.clock = clock
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func normal(_ pod: JSONValue, container: String? = nil, reason: String, message: String) async {
        record(pod, container: container, type: "Normal", reason: reason, message: message)
    }

    func warning(_ pod: JSONValue, container: String? = nil, reason: String, message: String) async {
        record(pod, container: container, type: "Warning", reason: reason, message: message)
    }

    /// Queues the event (stamped now) for the writer.
    func record(_ pod: JSONValue, container: String?, type: String, reason: String, message: String) {
        if pending.count >= Self.pendingLimit {
            let dropped = pending.removeFirst()
            logger.debug("event queue full; dropped the oldest", metadata: ["reason": "\(dropped.reason)"])
        }
        pending.append(Pending(pod: pod, container: container, type: type, reason: reason, message: message, at: clock.now()))
        wake.yield()
    }

    /// Writes queued events as they come, until the task is cancelled (events still queued then
    /// are dropped, as upstream's broadcaster drops them on shutdown).
    func run() async {
        for await _ in wakes {
            await drain()
        }
    }

    /// Returns once every event recorded so far has been written (or has failed); safe beside a
    /// running ``run()``, whose writes it waits for.
    func flush() async {
        await drain()
    }

    private func drain() async {
        if draining {
            await withCheckedContinuation { idleWaiters.append($0) }
            return
        }
        draining = true
        while !pending.isEmpty {
            await write(pending.removeFirst())
        }
        draining = false
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func write(_ event: Pending) async {
        let (pod, container, type, reason, message) = (event.pod, event.container, event.type, event.reason, event.message)
        let facts = PodFacts(pod: pod)
        let fieldPath = container.map { facts.fieldPath(of: $0) }
        let key = [facts.uid, fieldPath ?? "", type, reason, message].joined(separator: "\u{0}")
        let stamp = JSONValue.string(Timestamp.format(event.at))
        do {
            if let previous = written[key] {
                let count = previous.count + 1
                _ = try await client.patch(.events, namespace: previous.namespace, name: previous.name, subresource: nil,
                                           type: .merge, ["count": .int(count), "lastTimestamp": stamp], options: .init())
                written[key]?.count = count
                return
            }
            var involved: JSONValue = [
                "kind": "Pod", "apiVersion": "v1", "namespace": .string(facts.namespace), "name": .string(facts.name),
                "uid": .string(facts.uid),
            ]
            if let fieldPath { involved["fieldPath"] = .string(fieldPath) }
            let nanos = UInt64(max(0, Date().timeIntervalSince1970 * 1e9))
            let name = "\(facts.name).\(String(nanos, radix: 16))"
            let event: JSONValue = [
                "apiVersion": "v1", "kind": "Event",
                "metadata": ["name": .string(name), "namespace": .string(facts.namespace)],
                "involvedObject": involved,
                "reason": .string(reason), "message": .string(message), "type": .string(type),
                "source": ["component": "kubelet", "host": .string(nodeName)],
                "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
                "eventTime": .null,
                "reportingComponent": "kubelet", "reportingInstance": .string(nodeName),
            ]
            _ = try await client.create(.events, namespace: facts.namespace, event, options: .init())
            written[key] = (facts.namespace, name, 1)
            order.append(key)
            if order.count > Self.remembered { written[order.removeFirst()] = nil }
        } catch {
            logger.debug("failed to write event", metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }
}
