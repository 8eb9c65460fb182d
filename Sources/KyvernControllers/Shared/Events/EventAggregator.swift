import Foundation
import KyvernAPI

/// Upstream's EventAggregator: once `maxEvents` different messages were seen for one object and
/// reason, each within `interval` of the previous, further ones are replaced by one aggregate
/// Event whose message is "(combined from similar events): " and the latest message. The
/// aggregate is then counted like any repeated event, under the group's key.
struct EventAggregator: Sendable {
    static let messagePrefix = "(combined from similar events): "

    struct Record: Sendable {
        var messages: Set<String>
        var last: Date
    }

    let maxEvents: Int
    let interval: TimeInterval
    private var records: LRUCache<Record>

    init(maxEvents: Int, interval: TimeInterval, cacheSize: Int) {
        self.maxEvents = maxEvents
        self.interval = interval
        self.records = LRUCache(capacity: cacheSize)
    }

    /// The event to record and the key its repeats are counted under.
    mutating func aggregate(_ event: JSONValue, now: Date, name: (JSONValue) -> String) -> (event: JSONValue, key: String) {
        let (groupKey, message) = EventKeys.aggregate(event)
        var record = records.get(groupKey) ?? Record(messages: [], last: .distantPast)
        if now.timeIntervalSince(record.last) > interval {
            record = Record(messages: [], last: now)
        }
        record.messages.insert(message)
        record.last = now
        guard record.messages.count >= maxEvents else {
            records.set(groupKey, record)
            return (event, EventKeys.event(event))
        }
        // Keep the set from growing past the limit.
        record.messages.remove(record.messages.first!)
        records.set(groupKey, record)
        let stamp = JSONValue.string(Timestamp.format(now))
        var combined = event
        combined["metadata"] = ["name": .string(name(event)), "namespace": event[path: ["metadata", "namespace"]] ?? .null]
        combined["message"] = .string(Self.messagePrefix + message)
        combined["count"] = 1
        combined["firstTimestamp"] = stamp
        combined["lastTimestamp"] = stamp
        // Upstream's aggregate copies only the identifying fields, not the reporting ones.
        combined["reportingComponent"] = ""
        combined["reportingInstance"] = ""
        return (combined, groupKey)
    }
}
