import Foundation
import KyvernAPI

/// Upstream client-go's EventCorrelator: decides for each new Event whether to create it, raise
/// the count of an earlier identical one (a patch), or drop it. In order:
/// 1. aggregation of similar events (``EventAggregator``);
/// 2. deduplication: an event seen before under the same key becomes a patch of the earlier
///    Event's `count`, `lastTimestamp` and `message` (the earlier name and first time kept);
/// 3. the per-object spam filter (``EventSpamFilter``), which can drop either.
/// Pure state, no I/O: the recorder writes what it returns and reports back what the server stored.
struct EventCorrelator: Sendable {
    struct Options: Sendable {
        var cacheSize = 4096
        var spamBurst = 25
        var spamRefillInterval: TimeInterval = 300
        var aggregateMaxEvents = 10
        var aggregateInterval: TimeInterval = 600
    }

    enum Decision: Sendable, Equatable {
        /// Create this Event.
        case create(JSONValue)
        /// Patch the Event named in `event` with `patch` (create `event` if it is gone).
        case patch(event: JSONValue, patch: JSONValue)
        /// Drop it: the object's spam budget is spent.
        case skip
    }

    /// What is remembered of the last Event written under one key.
    struct Observation: Sendable, Equatable {
        var count: Int64
        var firstTimestamp: JSONValue
        var name: String
        var resourceVersion: String
    }

    private var aggregator: EventAggregator
    private var observations: LRUCache<Observation>
    private var spamFilter: EventSpamFilter

    init(options: Options = Options()) {
        aggregator = EventAggregator(maxEvents: options.aggregateMaxEvents, interval: options.aggregateInterval,
                                     cacheSize: options.cacheSize)
        observations = LRUCache(capacity: options.cacheSize)
        spamFilter = EventSpamFilter(burst: options.spamBurst, refillInterval: options.spamRefillInterval,
                                     cacheSize: options.cacheSize)
    }

    /// `name` names a new aggregate Event (the recorder's naming, `<object>.<hex nanoseconds>`).
    mutating func correlate(_ event: JSONValue, now: Date, name: (JSONValue) -> String) -> Decision {
        let (aggregated, key) = aggregator.aggregate(event, now: now, name: name)
        var observed = aggregated
        var patch: JSONValue?
        if let last = observations.get(key), last.count > 0 {
            observed.setMetadata("name", .string(last.name))
            observed.setMetadata("resourceVersion", last.resourceVersion.isEmpty ? nil : .string(last.resourceVersion))
            observed["firstTimestamp"] = last.firstTimestamp
            observed["count"] = .int(last.count + 1)
            patch = ["count": observed["count"] ?? 1, "lastTimestamp": observed["lastTimestamp"] ?? .null,
                     "message": observed["message"] ?? .null]
        }
        observations.set(key, Self.observation(of: observed))
        if spamFilter.filters(observed, now: now) { return .skip }
        if let patch { return .patch(event: observed, patch: patch) }
        return .create(observed)
    }

    /// Remembers the Event as the server stored it (its name and resourceVersion), under its own key.
    mutating func update(stored event: JSONValue) {
        observations.set(EventKeys.event(event), Self.observation(of: event))
    }

    private static func observation(of event: JSONValue) -> Observation {
        Observation(count: event["count"]?.intValue ?? 1, firstTimestamp: event["firstTimestamp"] ?? .null,
                    name: event.name ?? "", resourceVersion: event.resourceVersion ?? "")
    }
}
