import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Writes core/v1 Events about the objects a controller acts on, for `kubectl describe` and
/// `kubectl get events`, through upstream's correlation (``EventCorrelator``): repeats raise the
/// count of one Event, floods of similar messages are combined, and each object has a budget.
///
/// Recording is asynchronous as upstream's broadcaster makes it: ``record(_:_:reason:message:)``
/// only queues the Event, and ``run()`` — a child task of the controller's runner — writes the
/// queue in order, so a sync never waits for an Event write. Events are best effort: a full queue
/// drops the new Event (counted and logged), a failed write is logged, never thrown, so an
/// unreachable events API never stops a controller. One recorder per component; copies share its
/// queue and correlation state.
struct EventRecorder: Sendable {
    let client: any KubernetesClient
    /// `source.component` and `reportingComponent`, e.g. "replicaset-controller".
    let component: String
    let logger: Logger
    /// Kind and apiVersion for objects that do not carry them (items of a list may not).
    let fallbackKind: (kind: String, apiVersion: String)?
    /// The time events are stamped and correlated with; names always use the wall clock, so
    /// events written in quick succession get distinct names.
    let now: @Sendable () -> Date
    private let sink: EventSink
    /// Events queued and not yet written at most (upstream's `maxQueuedEvents`).
    static let queueCapacity = 1000

    enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    init(client: any KubernetesClient, component: String, logger: Logger,
         fallbackKind: (kind: String, apiVersion: String)? = nil,
         options: EventCorrelator.Options = .init(), capacity: Int = EventRecorder.queueCapacity,
         now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.component = component
        self.logger = logger
        self.fallbackKind = fallbackKind
        self.now = now
        self.sink = EventSink(correlator: EventCorrelator(options: options), capacity: capacity)
    }

    func normal(_ object: JSONValue, reason: String, message: String) async {
        await record(object, .normal, reason: reason, message: message)
    }

    func warning(_ object: JSONValue, reason: String, message: String) async {
        await record(object, .warning, reason: reason, message: message)
    }

    /// Queues the Event for ``run()`` to write; returns without waiting for the API.
    func record(_ object: JSONValue, _ type: EventType, reason: String, message: String) async {
        let event = makeEvent(object, type, reason: reason, message: message)
        await sink.enqueue(event, at: now(), logger: logger)
    }

    /// Writes queued Events until the task is cancelled; Events still queued then are dropped,
    /// as upstream's broadcaster drops them on shutdown.
    func run() async {
        await sink.run(client: client, logger: logger)
    }

    /// Writes every Event queued so far and returns once they are written, so a test can check
    /// what a sync recorded; safe beside a running ``run()``, whose writes it waits for.
    func flush() async {
        await sink.flush(client: client, logger: logger)
    }

    /// Events dropped because the queue was full.
    var dropped: Int {
        get async { await sink.dropped }
    }

    /// The Event upstream's recorder writes: named `<object>.<hex nanoseconds>`, in the object's
    /// namespace ("default" for cluster-scoped objects).
    func makeEvent(_ object: JSONValue, _ type: EventType, reason: String, message: String) -> JSONValue {
        let namespace = object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        var involved: [String: JSONValue] = [
            "kind": .string(object.kind ?? fallbackKind?.kind ?? ""), "name": .string(object.name ?? ""),
            "apiVersion": .string(object.apiVersion ?? fallbackKind?.apiVersion ?? ""),
        ]
        if let ns = object.namespace, !ns.isEmpty { involved["namespace"] = .string(ns) }
        if let uid = object.uid { involved["uid"] = .string(uid) }
        if let rv = object.resourceVersion { involved["resourceVersion"] = .string(rv) }
        let time = JSONValue.string(Timestamp.format(now()))
        var event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["namespace": .string(namespace)],
            "involvedObject": .object(involved),
            "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "source": ["component": .string(component)],
            "firstTimestamp": time, "lastTimestamp": time, "count": 1,
            "eventTime": nil, "reportingComponent": .string(component), "reportingInstance": "",
        ]
        event.setMetadata("name", .string(Self.uniqueName(for: event)))
        return event
    }

    /// `<involved object's name>.<wall-clock nanoseconds in hex>`, upstream's naming.
    static func uniqueName(for event: JSONValue, offset: UInt64 = 0) -> String {
        let nanos = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000_000)) &+ offset
        return "\(event[path: ["involvedObject", "name"]]?.stringValue ?? "").\(String(nanos, radix: 16))"
    }
}

/// Queues one component's events and correlates and writes them one at a time, as upstream's
/// broadcaster does, so a repeat always finds the Event its predecessor created.
private actor EventSink {
    var correlator: EventCorrelator
    let capacity: Int
    private(set) var dropped = 0
    private var pending: [(event: JSONValue, time: Date)] = []
    /// Wakes ``run(client:logger:)`` when an Event is queued; it ends when the task is cancelled.
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(correlator: EventCorrelator, capacity: Int) {
        self.correlator = correlator
        self.capacity = max(1, capacity)
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func enqueue(_ event: JSONValue, at time: Date, logger: Logger) {
        guard pending.count < capacity else {
            dropped += 1
            if dropped == 1 || dropped % 100 == 0 {
                logger.warning("event queue full, dropping event", metadata: [
                    "reason": "\(event["reason"]?.stringValue ?? "")", "dropped": "\(dropped)",
                ])
            }
            return
        }
        pending.append((event, time))
        signal.yield()
    }

    func run(client: any KubernetesClient, logger: Logger) async {
        for await _ in signals {
            while !Task.isCancelled, await writeNext(client: client, logger: logger) {}
        }
    }

    func flush(client: any KubernetesClient, logger: Logger) async {
        while await writeNext(client: client, logger: logger) {}
    }

    /// Writes the oldest queued Event; false when none was queued. Holding the write lock while
    /// taking it from the queue keeps the order and lets ``flush(client:logger:)`` wait for a
    /// write ``run(client:logger:)`` has in flight.
    private func writeNext(client: any KubernetesClient, logger: Logger) async -> Bool {
        await acquire()
        defer { release() }
        guard !pending.isEmpty else { return false }
        let next = pending.removeFirst()
        await write(next.event, client: client, now: next.time, name: { EventRecorder.uniqueName(for: $0) }, logger: logger)
        return true
    }

    private func write(_ event: JSONValue, client: any KubernetesClient, now: Date, name: (JSONValue) -> String,
               logger: Logger) async {
        let decision = correlator.correlate(event, now: now, name: name)
        do {
            let stored: JSONValue
            switch decision {
            case .skip:
                return
            case .create(let event):
                stored = try await Self.create(event, client: client)
            case .patch(let event, let patch):
                do {
                    stored = try await client.patch(.events, namespace: event.namespace, name: event.name ?? "",
                                                    subresource: nil, type: .strategicMerge, patch, options: WriteOptions())
                } catch let error as APIError where error.code == 404 {
                    // The earlier Event expired or was deleted: record this one afresh.
                    var fresh = event
                    fresh.setMetadata("resourceVersion", nil)
                    stored = try await Self.create(fresh, client: client)
                }
            }
            correlator.update(stored: stored)
        } catch {
            logger.warning("could not record event", metadata: [
                "reason": "\(event["reason"]?.stringValue ?? "")",
                "object": "\(event[path: ["involvedObject", "namespace"]]?.stringValue ?? "")/\(event[path: ["involvedObject", "name"]]?.stringValue ?? "")",
                "error": "\(error)",
            ])
        }
    }

    /// Creates `event`, renaming it if another Event already holds its name.
    private static func create(_ event: JSONValue, client: any KubernetesClient) async throws -> JSONValue {
        var event = event
        for attempt in 1...3 {
            do {
                return try await client.create(.events, namespace: event.namespace, event, options: WriteOptions())
            } catch let error as APIError where error.code == 409 && attempt < 3 {
                event.setMetadata("name", .string(EventRecorder.uniqueName(for: event, offset: UInt64(attempt))))
            }
        }
        return try await client.create(.events, namespace: event.namespace, event, options: WriteOptions())
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
