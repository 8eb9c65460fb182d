import Foundation
import KyvernAPI

/// Computes the `endpoints.kubernetes.io/last-change-trigger-time` annotation as upstream's
/// `TriggerTimeTracker` does: the earliest trigger time (a pod's Ready transition, the Service's
/// creation) that changed since the Service's previous sync; the Service's creation time on its
/// first sync; nil when nothing changed.
///
/// The proxy and monitoring read the annotation to measure how long a change took to reach
/// them. The state is in memory only, like upstream's: after a restart each Service starts over.
actor TriggerTimeTracker {
    private struct State {
        var podTimes: [String: Date] = [:]
        var serviceTime: Date?
    }

    private var states: [ObjectKey: State] = [:]

    /// Records this sync's view of `service` and its `pods` and returns the annotation value.
    func compute(service: JSONValue, pods: [JSONValue]) -> String? {
        let key = ObjectKey(service)
        let known = states[key]
        let previous = known ?? State()
        var next = State()
        var earliest: Date?
        for pod in pods {
            guard let text = PodEndpointFacts.triggerTime(pod), let time = Timestamp.parse(text) else { continue }
            let name = pod.name ?? ""
            next.podTimes[name] = time
            if previous.podTimes[name].map({ time > $0 }) ?? true {
                earliest = earliest.map { min($0, time) } ?? time
            }
        }
        let created = service.creationTimestamp.flatMap(Timestamp.parse)
        next.serviceTime = created
        if let created, previous.serviceTime.map({ created > $0 }) ?? true {
            earliest = earliest.map { min($0, created) } ?? created
        }
        states[key] = next
        guard known != nil else { return created.map(Self.format) }
        return earliest.map(Self.format)
    }

    /// Forgets a deleted Service.
    func forget(_ key: ObjectKey) {
        states[key] = nil
    }

    /// RFC 3339 with only as many fractional digits as needed, as Go's RFC3339Nano prints.
    static func format(_ date: Date) -> String {
        Timestamp.format(date)
    }
}
