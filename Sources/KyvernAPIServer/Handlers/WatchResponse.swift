import KyvernAPI
import Logging
import Synchronization

/// A running watch: initial events (if any), then the cache's events filtered for one client,
/// with bookmarks and a deadline.
public struct WatchResponse: Sendable {
    let cache: WatchCache
    let watcherID: Int
    let events: AsyncStream<CacheEvent>
    let initial: [CacheEvent]
    /// Send a BOOKMARK marking the end of the initial events (sendInitialEvents=true).
    let initialEventsEndRevision: Int64?
    let startRevision: Int64
    let filter: ObjectFilter
    var info: ResourceInfo
    /// Converts each stored object to the shape of the watched resource (events.k8s.io Events).
    var convert: (@Sendable (JSONValue) async throws -> JSONValue)? = nil
    let bookmarks: Bool
    let timeout: Duration
    /// Table mode (`as=Table`) and what its rows carry; nil for plain objects.
    let table: TableConverter.IncludeObject?
    /// The columns of a custom resource's Table (nil: the built-in printer of `info`).
    var layout: TableConverter.Layout? = nil
    let bookmarkInterval: Duration

    enum Item: Sendable {
        /// Events are waiting in the ``Pending`` box.
        case events
        case tick
    }

    /// Events received but not yet written. A store commit delivers its events in a burst; taking
    /// them all at once writes them as one chunk (one TLS record, one syscall) instead of one each.
    final class Pending: Sendable {
        private let events = Mutex<[CacheEvent]>([])

        /// Adds `event`; true when the box was empty (the writer must be woken).
        func add(_ event: CacheEvent) -> Bool {
            events.withLock { events in
                events.append(event)
                return events.count == 1
            }
        }

        func takeAll() -> [CacheEvent] {
            events.withLock { events in
                defer { events = [] }
                return events
            }
        }
    }

    /// Writes the watch as newline-delimited JSON `{"type":..,"object":..}` until the timeout,
    /// the client going away, or the server shutting down.
    func run(write: (inout [UInt8]) async throws -> Void) async throws {
        do {
            try await stream(write: write)
        } catch {
            await cache.stopWatching(watcherID)
            throw error
        }
        await cache.stopWatching(watcherID)
    }

    private func stream(write: (inout [UInt8]) async throws -> Void) async throws {
        var lastRevision = startRevision
        var buffer: [UInt8] = []
        var sentColumns = false
        for event in initial {
            lastRevision = max(lastRevision, event.revision)
            try await appendEvent(event.type, event.object, into: &buffer, sentColumns: &sentColumns)
        }
        if let end = initialEventsEndRevision {
            lastRevision = max(lastRevision, end)
            appendBookmark(lastRevision, initialEnd: true, into: &buffer)
        }
        if !buffer.isEmpty { try await write(&buffer) }

        let (items, continuation) = AsyncStream<Item>.makeStream()
        let pending = Pending()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events where pending.add(event) { continuation.yield(.events) }
                continuation.finish()
            }
            group.addTask {
                var elapsed: Duration = .zero
                while elapsed < timeout {
                    let step = min(bookmarkInterval, timeout - elapsed)
                    try await Task.sleep(for: step)
                    elapsed += step
                    if elapsed < timeout { continuation.yield(.tick) }
                }
                continuation.finish()
            }
            for await item in items {
                switch item {
                case .events:
                    for event in pending.takeAll() {
                        lastRevision = max(lastRevision, event.revision)
                        guard let type = filtered(event) else { continue }
                        try await appendEvent(type, event.object, into: &buffer, sentColumns: &sentColumns)
                    }
                    if buffer.isEmpty { continue }
                case .tick:
                    guard bookmarks else { continue }
                    appendBookmark(lastRevision, initialEnd: false, into: &buffer)
                }
                try await write(&buffer)
            }
            group.cancelAll()
        }
    }

    /// Selector-aware event types: an object that starts or stops matching is ADDED or DELETED for this watcher.
    func filtered(_ event: CacheEvent) -> WatchEventType? {
        if filter.isEverything { return event.type }
        let matchesNow = event.type == .deleted ? false : filter.matches(event.object.object)
        let matchedBefore = event.previous.map { filter.matches($0.object) } ?? false
        switch (matchedBefore, matchesNow) {
        case (true, true): return .modified
        case (false, true): return .added
        case (true, false): return .deleted
        case (false, false): return nil
        }
    }

    func appendEvent(_ type: WatchEventType, _ object: CachedObject, into buffer: inout [UInt8], sentColumns: inout Bool) async throws {
        var object = object
        if let convert {
            let converted = try await convert(object.object)
            object = CachedObject(key: object.key, object: converted, bytes: converted.serialized(), modRevision: object.modRevision)
        }
        buffer.append(contentsOf: Array("{\"type\":\"\(type.rawValue)\",\"object\":".utf8))
        if let include = table {
            // Column definitions travel once, with the first event, as upstream sends them.
            TableConverter.write(CollectionOfOne(object), info: info, revision: String(object.modRevision),
                                 include: include, headers: !sentColumns, layout: layout, into: &buffer)
            sentColumns = true
        } else {
            buffer.append(contentsOf: object.bytes)
        }
        buffer.append(contentsOf: Array("}\n".utf8))
    }

    func appendBookmark(_ revision: Int64, initialEnd: Bool, into buffer: inout [UInt8]) {
        var metadata: JSONValue = ["resourceVersion": .string(String(revision))]
        if initialEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
        let object: JSONValue = ["kind": .string(info.kind), "apiVersion": .string(info.groupVersion), "metadata": metadata]
        buffer.append(contentsOf: Array("{\"type\":\"BOOKMARK\",\"object\":".utf8))
        object.serialize(into: &buffer)
        buffer.append(contentsOf: Array("}\n".utf8))
    }
}
