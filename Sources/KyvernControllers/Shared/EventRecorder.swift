import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Writes core/v1 Events about the objects a controller acts on, for `kubectl describe`.
///
/// Events are best effort as upstream's recorder makes them: a failed write is logged, never
/// thrown, so an unreachable events API never stops a controller. Times are the wall clock's, as
/// the name (nanoseconds) must differ between events written in quick succession.
struct EventRecorder: Sendable {
    let client: any KubernetesClient
    /// `source.component` and `reportingComponent`, e.g. "replicaset-controller".
    let component: String
    let logger: Logger

    enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    func record(_ object: JSONValue, _ type: EventType, reason: String, message: String) async {
        let event = makeEvent(object, type, reason: reason, message: message)
        do {
            _ = try await client.create(.events, namespace: event.namespace, event, options: WriteOptions())
        } catch {
            logger.warning("could not record event", metadata: [
                "reason": "\(reason)", "object": "\(object.namespace ?? "")/\(object.name ?? "")", "error": "\(error)",
            ])
        }
    }

    /// The Event upstream's recorder writes: named `<object>.<hex nanoseconds>`, in the object's
    /// namespace ("default" for cluster-scoped objects).
    func makeEvent(_ object: JSONValue, _ type: EventType, reason: String, message: String) -> JSONValue {
        let now = Date().timeIntervalSince1970
        // A Double keeps about a quarter microsecond here: ample, as one object's events are written one at a time.
        let nanos = UInt64(now * 1_000_000_000)
        let date = Date(timeIntervalSince1970: now.rounded(.down))
        let namespace = object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        var involved: [String: JSONValue] = [
            "kind": .string(object.kind ?? ""), "name": .string(object.name ?? ""),
            "apiVersion": .string(object.apiVersion ?? ""),
        ]
        if let ns = object.namespace, !ns.isEmpty { involved["namespace"] = .string(ns) }
        if let uid = object.uid { involved["uid"] = .string(uid) }
        if let rv = object.resourceVersion { involved["resourceVersion"] = .string(rv) }
        let time = JSONValue.string(Timestamp.format(date))
        return [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(object.name ?? "").\(String(nanos, radix: 16))"), "namespace": .string(namespace)],
            "involvedObject": .object(involved),
            "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "source": ["component": .string(component)],
            "firstTimestamp": time, "lastTimestamp": time, "count": 1,
            "eventTime": nil, "reportingComponent": .string(component), "reportingInstance": "",
        ]
    }
}
