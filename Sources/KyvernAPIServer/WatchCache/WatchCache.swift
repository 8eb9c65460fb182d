import DequeModule
public import KyvernAPI
public import KyvernStore
public import Logging

/// The API server's in-memory copy of the store: every object, plus a window of recent events.
///
/// Lists and watches are served from here instead of scanning the store per request; it is fed
/// by one store watch (`WatchCacheFeeder`). Reads that must be consistent first wait until the
/// cache has caught up with the store's current revision.
public actor WatchCache {
    struct Bucket {
        var items: [String: CachedObject] = [:]
        var order = SortedKeys()
        /// The revision of the last change to this bucket.
        var changed: Int64 = 0
    }

    struct Watcher {
        var prefix: String
        var continuation: AsyncStream<CacheEvent>.Continuation
    }

    private var buckets: [String: Bucket] = [:]
    /// Pods by `spec.nodeName`, for the Node authorizer.
    private var podsByNode = PodsByNode()
    /// How many times the cache was loaded afresh (a reload invalidates every derived index).
    private var loads: Int64 = 0
    /// Every event with a revision above `historyStart` is in `history`.
    private var history: Deque<CacheEvent> = []
    private var historyStart: Int64 = 0
    private let capacity: Int
    public private(set) var revision: Int64 = 0
    private var watchers: [Int: Watcher] = [:]
    private var nextWatcherID = 0
    /// Set by `closeAll`: the server is stopping, so a watch begun now ends at once.
    private var closed = false
    private let logger: Logger
    /// Objects this server wrote, so the feeder need not decode them again.
    public nonisolated let written = WrittenObjects()
    /// When each bucket last changed, readable without waiting for the actor (derived indexes
    /// check it on every request).
    public nonisolated let changes = BucketChanges()
    /// Objects of the buckets token authentication reads, readable without an actor hop.
    nonisolated let pointReads = PointReads()
    /// Bound of a watcher's queue; a watcher this far behind is closed and must re-watch.
    private let watcherBuffer = 20_000

    public init(capacity: Int = 50_000, logger: Logger) {
        self.capacity = capacity
        self.logger = logger
    }

    /// Replaces the contents with a full list read at `revision`.
    public func load(_ items: [KeyValue], revision: Int64) {
        buckets = [:]
        podsByNode = PodsByNode()
        for kv in items {
            guard let bucket = StorageKeys.bucket(ofKey: kv.key) else { continue }
            do {
                let object = try CachedObject.decode(key: kv.key, value: kv.value, revision: kv.modRevision)
                buckets[String(bucket), default: Bucket()].items[kv.key] = object
                buckets[String(bucket), default: Bucket()].order.insert(kv.key)
                if bucket == PodsByNode.bucket { podsByNode.update(key: kv.key, old: nil, new: object) }
            } catch {
                logger.error("undecodable object in store", metadata: ["key": "\(kv.key)", "error": "\(error)"])
            }
        }
        var mirrored: [String: CachedObject] = [:]
        for (name, bucket) in buckets where PointReads.mirrors(name) {
            mirrored.merge(bucket.items) { _, new in new }
        }
        pointReads.replaceAll(mirrored)
        history.removeAll()
        historyStart = revision
        self.revision = revision
        loads += 1
        changes.reset(loads: loads)
        for (_, watcher) in watchers { watcher.continuation.finish() }
        watchers = [:]
    }

    /// Applies a batch of store events in revision order.
    public func apply(_ events: [StoreEvent]) {
        apply(decoded: Self.decode(events))
    }

    /// A store event with its object already decoded (nil for a delete, or a value that did not decode).
    public struct DecodedEvent: Sendable {
        var event: StoreEvent
        var object: CachedObject?
    }

    /// Decodes a batch's objects; call it outside the actor (the feeder does) so that parsing and
    /// encoding every written object does not hold up the reads and watches the actor serves.
    ///
    /// An object this server wrote comes from `written` instead of being parsed again.
    public nonisolated static func decode(_ events: [StoreEvent], written: WrittenObjects? = nil) -> [DecodedEvent] {
        let decoded = events.map { event in
            guard event.kind == .put else { return DecodedEvent(event: event, object: nil) }
            if let object = written?.take(key: event.kv.key, revision: event.kv.modRevision) {
                return DecodedEvent(event: event, object: object)
            }
            return DecodedEvent(event: event, object: try? CachedObject.decode(key: event.kv.key, value: event.kv.value,
                                                                                revision: event.kv.modRevision))
        }
        if let written, let last = events.last { written.forget(through: last.revision) }
        return decoded
    }

    /// Applies a batch decoded by ``decode(_:)``, in revision order.
    public func apply(decoded events: [DecodedEvent]) {
        for decoded in events {
            let event = decoded.event
            guard event.revision > revision else { continue }
            revision = event.revision
            guard let bucketKey = StorageKeys.bucket(ofKey: event.kv.key).map(String.init) else { continue }
            let previous = buckets[bucketKey]?.items[event.kv.key]
            let cacheEvent: CacheEvent
            switch event.kind {
            case .put:
                guard let object = decoded.object else {
                    logger.error("undecodable object in store", metadata: ["key": "\(event.kv.key)"])
                    continue
                }
                buckets[bucketKey, default: Bucket()].items[event.kv.key] = object
                buckets[bucketKey]?.changed = event.revision
                changes.record(bucketKey, revision: event.revision)
                if previous == nil { buckets[bucketKey, default: Bucket()].order.insert(event.kv.key) }
                cacheEvent = CacheEvent(type: previous == nil ? .added : .modified, object: object, previous: previous)
            case .delete:
                guard let previous else { continue }
                buckets[bucketKey]?.items[event.kv.key] = nil
                buckets[bucketKey]?.order.remove(event.kv.key)
                buckets[bucketKey]?.changed = event.revision
                changes.record(bucketKey, revision: event.revision)
                cacheEvent = CacheEvent(type: .deleted, object: previous.restamped(event.revision), previous: previous)
            }
            if PointReads.mirrors(bucketKey) {
                pointReads.set(event.kv.key, event.kind == .put ? cacheEvent.object : nil)
            }
            if bucketKey == PodsByNode.bucket {
                podsByNode.update(key: event.kv.key, old: previous, new: event.kind == .put ? cacheEvent.object : nil)
            }
            history.append(cacheEvent)
            if history.count > capacity, let dropped = history.popFirst() {
                historyStart = dropped.revision
            }
            dispatch(cacheEvent)
        }
    }

    private func dispatch(_ event: CacheEvent) {
        var closed: [Int] = []
        for (id, watcher) in watchers where event.key.hasPrefix(watcher.prefix) {
            if case .dropped = watcher.continuation.yield(event) {
                closed.append(id)
            }
        }
        for id in closed {
            logger.warning("closing a watcher that fell too far behind", metadata: ["prefix": "\(watchers[id]?.prefix ?? "")"])
            watchers[id]?.continuation.finish()
            watchers[id] = nil
        }
    }

    /// Forgets history at or below `revision` (the store compacted it).
    public func compacted(to revision: Int64) {
        while let first = history.first, first.revision <= revision {
            history.removeFirst()
        }
        historyStart = max(historyStart, revision)
    }

    /// The oldest revision a watch may start after.
    public var oldestWatchableRevision: Int64 { historyStart }

    /// Waits until the cache has applied `target`, or fails after `timeout` like upstream (504).
    public func waitUntil(revision target: Int64, timeout: Duration = .seconds(3)) async throws {
        if revision >= target { return }
        let deadline = ContinuousClock.now + timeout
        while revision < target {
            if ContinuousClock.now >= deadline {
                throw APIError(code: 504, reason: "Timeout",
                               message: "Too large resource version: \(target), current: \(revision)",
                               details: .init(causes: [.init(type: "ResourceVersionTooLarge",
                                                             message: "Too large resource version", field: "")],
                                              retryAfterSeconds: 1))
            }
            // The feeder usually applies a write within a millisecond; poll rather than keep timers.
            try await Task.sleep(for: .microseconds(500))
        }
    }

    /// The objects under `prefix` (a bucket prefix, optionally extended by `namespace/`), in key order,
    /// starting at `startKey`.
    public func list(bucket: String, keyPrefix: String, startKey: String? = nil) -> (items: [CachedObject], revision: Int64) {
        guard let b = buckets[bucket] else { return ([], revision) }
        var result: [CachedObject] = []
        let from = max(b.order.lowerBound(keyPrefix), startKey.map { b.order.lowerBound($0) } ?? 0)
        let keys = b.order.keys
        var index = from
        while index < keys.count {
            let key = keys[index]
            guard key.hasPrefix(keyPrefix) else { break }
            if let object = b.items[key] { result.append(object) }
            index += 1
        }
        return (result, revision)
    }

    public func get(key: String) -> CachedObject? {
        guard let bucket = StorageKeys.bucket(ofKey: key) else { return nil }
        return buckets[String(bucket)]?.items[key]
    }

    /// The object at `key` without an actor hop when its bucket is mirrored (``PointReads``):
    /// `.some(nil)` means it is not there; nil means "ask ``get(key:)``".
    public nonisolated func peek(key: String) -> CachedObject?? {
        guard let bucket = StorageKeys.bucket(ofKey: key), PointReads.mirrors(bucket) else { return nil }
        return .some(pointReads.get(key))
    }

    /// The pods bound to `node` (`spec.nodeName`), found through an index rather than a scan.
    public func pods(onNode node: String) -> [CachedObject] {
        guard let pods = buckets[PodsByNode.bucket] else { return [] }
        return podsByNode.keys(onNode: node).compactMap { pods.items[$0] }
    }

    public func count(bucket: String) -> Int { buckets[bucket]?.items.count ?? 0 }

    /// A value that changes whenever any of `names` changes (or the cache is reloaded), for
    /// indexes derived from a few buckets that rebuild only when their sources changed.
    public func version(ofBuckets names: [String]) -> [Int64] {
        changes.version(ofBuckets: names)
    }

    /// Every object of several buckets, with ``version(ofBuckets:)`` read in the same step.
    public func contents(ofBuckets names: [String]) -> (version: [Int64], items: [[CachedObject]]) {
        (version(ofBuckets: names), names.map { list(bucket: $0, keyPrefix: $0).items })
    }

    /// Starts a watch of keys under `prefix` for events after `afterRevision`.
    /// - Returns: the stream (history replayed first), or throws 410 Gone when that history is gone.
    public func watch(prefix: String, afterRevision: Int64) throws -> (id: Int, events: AsyncStream<CacheEvent>) {
        if afterRevision < historyStart {
            throw APIError.gone("too old resource version: \(afterRevision) (\(historyStart))")
        }
        let replay = history.filter { $0.revision > afterRevision && $0.key.hasPrefix(prefix) }
        // Room for the whole replay plus the live-event allowance, so history is never dropped.
        let (stream, continuation) = AsyncStream<CacheEvent>.makeStream(
            bufferingPolicy: .bufferingOldest(replay.count + watcherBuffer))
        for event in replay {
            continuation.yield(event)
        }
        let id = nextWatcherID
        nextWatcherID += 1
        if closed {
            continuation.finish()
        } else {
            watchers[id] = Watcher(prefix: prefix, continuation: continuation)
        }
        return (id, stream)
    }

    public func stopWatching(_ id: Int) {
        watchers[id]?.continuation.finish()
        watchers[id] = nil
    }

    public var watcherCount: Int { watchers.count }

    /// Ends every watch, and every one begun later (shutdown).
    public func closeAll() {
        closed = true
        for (_, watcher) in watchers { watcher.continuation.finish() }
        watchers = [:]
    }
}

extension WatchCache {
    /// The current objects under `keyPrefix` and a watch of everything after them, atomically.
    public func snapshotAndWatch(bucket: String, keyPrefix: String) throws
        -> (items: [CachedObject], revision: Int64, id: Int, events: AsyncStream<CacheEvent>)
    {
        let snapshot = list(bucket: bucket, keyPrefix: keyPrefix)
        let (id, events) = try watch(prefix: keyPrefix, afterRevision: snapshot.revision)
        return (snapshot.items, snapshot.revision, id, events)
    }
}
