import Foundation
import GRDB
public import KyvernStore
import Logging
import Synchronization

// Watches. A watch registers under the state lock, noting the current revision N. Events up to
// N are replayed from the log (they are committed, hence visible to a reader); events above N
// are published by the writer after their commit, under the same lock, into the watch's
// backlog until the replay has finished, then straight into its stream. So the hand-over has
// neither a gap nor a duplicate. Streams buffer without bound: a slow consumer never holds the
// writer back.

extension SQLiteStore {
    typealias EventContinuation = AsyncThrowingStream<[StoreEvent], any Error>.Continuation

    struct Watcher: Sendable {
        let prefix: String
        let startRevision: Int64
        let continuation: EventContinuation
        /// Live batches held back while the replay runs; nil once live.
        var backlog: [[StoreEvent]]?
    }

    /// How many events one replay read fetches.
    static let replayChunk = 1000

    public func watch(prefix: String, startRevision: Int64) -> AsyncThrowingStream<[StoreEvent], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: [StoreEvent].self, throwing: (any Error).self, bufferingPolicy: .unbounded)
        enum Registration {
            case failed(StoreError)
            case live(UInt64)
            case replay(UInt64, from: Int64, through: Int64)
        }
        let registration = state.withLock { s -> Registration in
            if s.closed { return .failed(.closed) }
            let start = startRevision <= 0 ? s.current + 1 : startRevision
            if start <= s.compacted {
                return .failed(.compacted(requested: start, compactedRevision: s.compacted))
            }
            let id = s.nextWatcherID
            s.nextWatcherID += 1
            let replays = start <= s.current
            s.watchers[id] = Watcher(prefix: prefix, startRevision: start, continuation: continuation,
                                     backlog: replays ? [] : nil)
            return replays ? .replay(id, from: start, through: s.current) : .live(id)
        }
        switch registration {
        case .failed(let error):
            continuation.finish(throwing: error)
        case .live(let id):
            continuation.onTermination = { [weak self] _ in self?.removeWatcher(id) }
        case .replay(let id, let from, let through):
            let replay = Task {
                await self.replay(id: id, prefix: prefix, from: from, through: through, continuation: continuation)
            }
            continuation.onTermination = { [weak self] _ in
                replay.cancel()
                self?.removeWatcher(id)
            }
        }
        return stream
    }

    func removeWatcher(_ id: UInt64) {
        state.withLock { s in _ = s.watchers.removeValue(forKey: id) }
    }

    /// Streams the log's events in `from...through` under `prefix`, then makes the watch live.
    private func replay(id: UInt64, prefix: String, from: Int64, through: Int64, continuation: EventContinuation) async {
        var next = from
        do {
            while next <= through {
                try Task.checkCancellation()
                let chunkStart = next
                let chunk = try await pool.read { db in
                    try Self.readEvents(db, prefix: prefix, from: chunkStart, through: through, limit: Self.replayChunk)
                }
                if !chunk.events.isEmpty { continuation.yield(chunk.events) }
                guard chunk.events.count == Self.replayChunk, let last = chunk.events.last else { break }
                next = last.revision + 1
            }
            state.withLock { s in
                guard var watcher = s.watchers[id] else { return }
                for batch in watcher.backlog ?? [] { watcher.continuation.yield(batch) }
                watcher.backlog = nil
                s.watchers[id] = watcher
            }
        } catch {
            if Task.isCancelled { return }
            removeWatcher(id)
            let failure = storeError(error)
            if case .backend = failure {
                logger.warning("watch replay failed", metadata: ["prefix": "\(prefix)", "error": "\(error)"])
            }
            continuation.finish(throwing: failure)
        }
    }

    struct EventChunk: Sendable {
        var events: [StoreEvent]
    }

    /// Reads the events with revisions in `from...through` under `prefix`, with previous values.
    static func readEvents(_ db: Database, prefix: String, from: Int64, through: Int64, limit: Int) throws -> EventChunk {
        let head = try Schema.head(db)
        if from <= head.compacted {
            throw StoreError.compacted(requested: from, compactedRevision: head.compacted)
        }
        let end = KeyBounds.end(ofPrefix: prefix)
        let statement = try db.cachedStatement(sql: """
            SELECT e.id, e.key, e.created, e.deleted, e.create_revision, e.value,
                   p.id, p.create_revision, p.value, p.deleted
            FROM kv AS e LEFT JOIN kv AS p ON p.id = e.prev_revision AND e.created = 0
            WHERE e.id >= ?1 AND e.id <= ?2 AND e.key >= ?3 \(end == nil ? "" : "AND e.key < ?4")
            ORDER BY e.id
            LIMIT ?5
            """)
        var events: [StoreEvent] = []
        try statement.forEachRow(arguments: [from, through, prefix.keyBlob, end ?? Data(), Int64(limit)]) { row in
            let id = row.int64(0)
            let key = row.key(1)
            var previous: KeyValue?
            if !row.bool(2) {  // not a create: the row it replaced is the previous value
                guard !row.isNull(6), !row.bool(9) else {
                    // The previous row was compacted away meanwhile.
                    throw StoreError.compacted(requested: from, compactedRevision: head.compacted)
                }
                previous = KeyValue(key: key, value: row.bytes(8), createRevision: row.int64(7), modRevision: row.int64(6))
            }
            if row.bool(3) {
                events.append(StoreEvent(kind: .delete, kv: KeyValue(key: key, value: [], createRevision: 0, modRevision: id),
                                         previous: previous))
            } else {
                events.append(StoreEvent(kind: .put, kv: KeyValue(key: key, value: row.bytes(5),
                                                                  createRevision: row.int64(4), modRevision: id),
                                         previous: previous))
            }
        }
        return EventChunk(events: events)
    }
}

extension SQLiteStore.State {
    /// Hands a committed batch's events to every watch they match (called under the lock, in
    /// commit order).
    mutating func publish(_ events: [StoreEvent]) {
        for (id, watcher) in watchers {
            let matching = events.filter {
                $0.revision >= watcher.startRevision && KeyBounds.hasPrefix($0.kv.key, watcher.prefix)
            }
            if matching.isEmpty { continue }
            if watcher.backlog != nil {
                watchers[id]?.backlog?.append(matching)
            } else {
                watcher.continuation.yield(matching)
            }
        }
    }
}
