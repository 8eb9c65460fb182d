import Foundation
public import KyvernAPI
public import KyvernClient
public import Logging

/// Writes events.k8s.io/v1 events in the background through a bounded buffer.
///
/// Scheduling never waits for an event write: when the buffer is full new events are dropped,
/// as upstream's broadcaster drops them under load.
public struct EventRecorder: Sendable {
    private let continuation: AsyncStream<(namespace: String, event: JSONValue)>.Continuation
    private let stream: AsyncStream<(namespace: String, event: JSONValue)>
    let instance: String

    public init(capacity: Int = 1000, instance: String? = nil) {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(capacity))
        self.instance = instance ?? ProcessInfo.processInfo.hostName
    }

    /// Queues an event about `regarding` (a pod); `related` names a second object (the preemptor).
    public func record(regarding: JSONValue, related: JSONValue? = nil, type: String, reason: String,
                       action: String, note: String, controller: String) {
        let event = Self.make(regarding: regarding, related: related, type: type, reason: reason, action: action,
                              note: note, controller: controller, instance: "\(controller)-\(instance)", now: Date())
        continuation.yield((event[path: ["metadata", "namespace"]]?.stringValue ?? "default", event))
    }

    /// Drains the buffer into the API until cancelled; failed writes are logged and dropped.
    public func run(client: any KubernetesClient, logger: Logger) async {
        await withTaskCancellationHandler {
            for await (namespace, event) in stream {
                do {
                    _ = try await client.create(.schedulerEvents, namespace: namespace, event, options: WriteOptions())
                } catch {
                    logger.debug("dropping event", metadata: ["reason": "\(event["reason"]?.stringValue ?? "")",
                                                              "error": "\(error)"])
                }
            }
        } onCancel: {
            continuation.finish()
        }
    }

    static func reference(_ object: JSONValue) -> JSONValue {
        var ref: [String: JSONValue] = [
            "kind": object["kind"] ?? "Pod", "apiVersion": object["apiVersion"] ?? "v1",
        ]
        for field in ["namespace", "name", "uid", "resourceVersion"] {
            if let value = object[path: ["metadata", field]] { ref[field] = value }
        }
        return .object(ref)
    }

    /// An events.k8s.io/v1 Event as upstream's recorder builds it: named after the object and the
    /// time in hex nanoseconds, with a microsecond `eventTime`.
    static func make(regarding: JSONValue, related: JSONValue?, type: String, reason: String, action: String,
                     note: String, controller: String, instance: String, now: Date) -> JSONValue {
        let nanos = UInt64(now.timeIntervalSince1970 * 1_000_000) * 1000
        let name = regarding[path: ["metadata", "name"]]?.stringValue ?? "unknown"
        var event: JSONValue = [
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": ["name": .string("\(name).\(String(nanos, radix: 16))"),
                         "namespace": regarding[path: ["metadata", "namespace"]] ?? "default"],
            "eventTime": .string(Timestamp.formatMicro(now)),
            "reportingController": .string(controller), "reportingInstance": .string(instance),
            "action": .string(action), "reason": .string(reason), "type": .string(type),
            "regarding": reference(regarding), "note": .string(String(note.prefix(1024))),
        ]
        if let related { event["related"] = reference(related) }
        return event
    }
}
