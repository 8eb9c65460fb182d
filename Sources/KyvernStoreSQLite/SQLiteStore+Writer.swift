import Foundation
import GRDB
import KyvernStore
import Logging
import Synchronization

// Group commit: every write is queued; one writer drains the whole queue into one transaction
// (one fsync), evaluates each request in order, commits, publishes the events to watches and
// then resumes every waiting caller.

extension SQLiteStore {
    enum WriteOperation: Sendable {
        case create(key: String, value: [UInt8])
        case update(key: String, value: [UInt8], expectedRevision: Int64)
        case delete(key: String, expectedRevision: Int64?)
        case compact(revision: Int64)
    }

    enum WriteOutcome: Sendable {
        case put(KeyValue)
        case deleted(revision: Int64, previous: KeyValue)
        case compacted
    }

    struct WriteRequest: Sendable {
        let operation: WriteOperation
        let continuation: CheckedContinuation<WriteOutcome, any Error>
    }

    /// Queues `operation` and waits until its transaction committed (or it failed).
    func submit(_ operation: WriteOperation) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { continuation in
            enum Admission { case rejected, queued, queuedAndStartWriter }
            let admission = state.withLock { s -> Admission in
                if s.closed { return .rejected }
                s.pending.append(WriteRequest(operation: operation, continuation: continuation))
                if s.draining { return .queued }
                s.draining = true
                return .queuedAndStartWriter
            }
            switch admission {
            case .rejected:
                continuation.resume(throwing: StoreError.closed)
            case .queued:
                break
            case .queuedAndStartWriter:
                pool.asyncWriteWithoutTransaction { db in self.drain(db) }
            }
        }
    }

    /// Resumes once no drain is scheduled or running.
    func waitUntilWriterIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { s -> Bool in
                if !s.draining { return true }
                s.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Runs on GRDB's writer queue: commits batches until the queue is empty.
    func drain(_ db: Database) {
        while true {
            enum Next { case batch([WriteRequest]), idle([CheckedContinuation<Void, Never>]) }
            let next = state.withLock { s -> Next in
                if s.pending.isEmpty {
                    s.draining = false
                    defer { s.idleWaiters = [] }
                    return .idle(s.idleWaiters)
                }
                defer { s.pending = [] }
                return .batch(s.pending)
            }
            switch next {
            case .idle(let waiters):
                for waiter in waiters { waiter.resume() }
                return
            case .batch(let batch):
                commit(batch, db: db)
            }
        }
    }

    /// Evaluates and commits one batch in one transaction, then publishes and resumes.
    private func commit(_ batch: [WriteRequest], db: Database) {
        // Only the writer changes these, so they cannot move under it.
        let (current, compacted) = state.withLock { ($0.current, $0.compacted) }
        var batchState = BatchState(revision: current, compacted: compacted)
        var outcomes: [Result<WriteOutcome, StoreError>] = []
        outcomes.reserveCapacity(batch.count)
        let started = ContinuousClock.now
        do {
            try db.inTransaction(.immediate) {
                for request in batch {
                    outcomes.append(try apply(request.operation, db: db, batch: &batchState))
                }
                return .commit
            }
        } catch {
            // The transaction rolled back: nothing of the batch happened.
            if batch.count > 1 {
                // One request may have caused it (a value SQLite refuses): retry each alone so
                // only that one fails.
                logger.warning("write transaction failed, retrying its requests one by one", metadata: [
                    "requests": "\(batch.count)", "error": "\(error)",
                ])
                for request in batch { commit([request], db: db) }
                return
            }
            logger.error("write transaction failed", metadata: ["error": "\(error)"])
            for request in batch { request.continuation.resume(throwing: storeError(error)) }
            return
        }
        let events = batchState.events
        state.withLock { s in
            s.current = batchState.revision
            s.compacted = batchState.compacted
            s.transactions += 1
            s.writeRequests += batch.count
            if !events.isEmpty { s.publish(events) }
        }
        logger.trace("committed batch", metadata: [
            "requests": "\(batch.count)", "revision": "\(batchState.revision)",
            "duration": "\(ContinuousClock.now - started)",
        ])
        for (request, outcome) in zip(batch, outcomes) {
            request.continuation.resume(with: outcome.mapError { $0 as any Error })
        }
    }

    /// The state a batch builds up while its requests are evaluated.
    struct BatchState {
        var revision: Int64
        var compacted: Int64
        var events: [StoreEvent] = []
    }

    /// The newest row of a live key, as seen inside the writer's transaction.
    struct CurrentRow {
        var id: Int64
        var createRevision: Int64
        var value: [UInt8]

        func keyValue(_ key: String) -> KeyValue {
            KeyValue(key: key, value: value, createRevision: createRevision, modRevision: id)
        }
    }

    private func currentRow(_ db: Database, key: Data) throws -> CurrentRow? {
        let statement = try db.cachedStatement(sql: "SELECT id, create_revision, value FROM current WHERE key = ?")
        return try statement.firstRow(arguments: [key]) { row in
            CurrentRow(id: row.int64(0), createRevision: row.int64(1), value: row.bytes(2))
        }
    }

    private func appendLog(
        _ db: Database, id: Int64, key: Data, created: Bool, deleted: Bool,
        createRevision: Int64, prevRevision: Int64, value: Data
    ) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO kv (id, key, created, deleted, create_revision, prev_revision, value)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [id, key, created, deleted, createRevision, prevRevision, value])
    }

    /// Evaluates one request inside the batch's transaction. A failed precondition is returned
    /// as a failure (the transaction goes on); a database error is thrown (the batch fails).
    private func apply(
        _ operation: WriteOperation, db: Database, batch: inout BatchState
    ) throws -> Result<WriteOutcome, StoreError> {
        switch operation {
        case .create(let key, let value):
            let blob = key.keyBlob
            if try currentRow(db, key: blob) != nil { return .failure(.keyExists(key: key)) }
            let revision = batch.revision + 1
            let data = Data(value)
            try appendLog(db, id: revision, key: blob, created: true, deleted: false,
                          createRevision: revision, prevRevision: 0, value: data)
            try db.cachedStatement(sql: "INSERT INTO current (key, id, create_revision, value) VALUES (?, ?, ?, ?)")
                .execute(arguments: [blob, revision, revision, data])
            batch.revision = revision
            let kv = KeyValue(key: key, value: value, createRevision: revision, modRevision: revision)
            batch.events.append(StoreEvent(kind: .put, kv: kv, previous: nil))
            return .success(.put(kv))

        case .update(let key, let value, let expectedRevision):
            let blob = key.keyBlob
            guard let current = try currentRow(db, key: blob) else { return .failure(.notFound(key: key)) }
            let previous = current.keyValue(key)
            if current.id != expectedRevision { return .failure(.conflict(key: key, current: previous)) }
            let revision = batch.revision + 1
            let data = Data(value)
            try appendLog(db, id: revision, key: blob, created: false, deleted: false,
                          createRevision: current.createRevision, prevRevision: current.id, value: data)
            try db.cachedStatement(sql: "UPDATE current SET id = ?, value = ? WHERE key = ?")
                .execute(arguments: [revision, data, blob])
            batch.revision = revision
            let kv = KeyValue(key: key, value: value, createRevision: current.createRevision, modRevision: revision)
            batch.events.append(StoreEvent(kind: .put, kv: kv, previous: previous))
            return .success(.put(kv))

        case .delete(let key, let expectedRevision):
            let blob = key.keyBlob
            guard let current = try currentRow(db, key: blob) else { return .failure(.notFound(key: key)) }
            let previous = current.keyValue(key)
            if let expectedRevision, current.id != expectedRevision {
                return .failure(.conflict(key: key, current: previous))
            }
            let revision = batch.revision + 1
            try appendLog(db, id: revision, key: blob, created: false, deleted: true,
                          createRevision: current.createRevision, prevRevision: current.id, value: Data())
            try db.cachedStatement(sql: "DELETE FROM current WHERE key = ?").execute(arguments: [blob])
            batch.revision = revision
            let tombstone = KeyValue(key: key, value: [], createRevision: 0, modRevision: revision)
            batch.events.append(StoreEvent(kind: .delete, kv: tombstone, previous: previous))
            return .success(.deleted(revision: revision, previous: previous))

        case .compact(let revision):
            if revision <= batch.compacted {
                return .failure(.compacted(requested: revision, compactedRevision: batch.compacted))
            }
            if revision > batch.revision {
                return .failure(.futureRevision(requested: revision, current: batch.revision))
            }
            // Remove every row superseded at or below `revision` and every tombstone at or
            // below it; what stays is, for each key, its newest live row as of `revision`
            // (the state at `revision`) plus all later history.
            let statement = try db.cachedStatement(sql: """
                DELETE FROM kv WHERE id <= ?1 AND (
                    deleted = 1
                    OR id < (SELECT MAX(newer.id) FROM kv AS newer WHERE newer.key = kv.key AND newer.id <= ?1)
                )
                """)
            try statement.execute(arguments: [revision])
            let removed = db.changesCount
            try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'compacted'", arguments: [revision])
            batch.compacted = revision
            logger.debug("compaction removed rows", metadata: ["revision": "\(revision)", "rows": "\(removed)"])
            return .success(.compacted)
        }
    }
}
