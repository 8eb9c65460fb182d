public import KyvernStore
public import Logging
import Foundation
import GRDB
import Synchronization

/// A ``Store`` in one SQLite database file: an append-only log of every write whose row id is
/// the revision, in the manner of k3s's kine.
///
/// - Writes go through one writer that drains every pending request into one transaction and
///   one fsync (group commit); each request is checked in order, a failed precondition fails
///   only that request. A write returns once its transaction is durable (WAL,
///   `synchronous = FULL`).
/// - Reads run on a pool of reader connections, each in one snapshot, concurrently with writes.
/// - Watches replay the log, then receive the events of every later commit from memory; a
///   slow watch buffers and never holds writes back.
///
/// One store at a time may open a database file: a lock on `<path>.lock` makes a second opener,
/// in this process or another, fail.
public final class SQLiteStore: Store {
    /// The path of the database file.
    public let path: String

    let pool: DatabasePool
    let logger: Logger
    let state: Mutex<State>
    let lock: FileLock

    /// Opens (creating if needed) the store in the database file at `path`.
    ///
    /// - Throws: `StoreError.backend` if the file cannot be opened or migrated.
    public init(path: String, logger: Logger = Logger(label: "kyvern.store.sqlite")) throws {
        self.path = path
        self.logger = logger
        let fileLock = try FileLock(path: path + ".lock")
        lock = fileLock
        do {
            var configuration = Configuration()
            configuration.label = "kyvern.store"
            configuration.maximumReaderCount = 6
            configuration.prepareDatabase { db in
                // WAL is set by DatabasePool; FULL makes every commit fsync the WAL, so a write
                // acknowledged is a write that survives a power loss (see below for the writer).
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // 16 MiB of page cache per connection; sorts in memory; the WAL file is
                // truncated back to 64 MiB after a checkpoint that emptied it.
                try db.execute(sql: "PRAGMA cache_size = -16384")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool sets `synchronous = NORMAL` on its writer when it enables WAL (after
            // prepareDatabase), which syncs only at checkpoints. Writes must be durable when
            // acknowledged: the writer is set to FULL here, and checked.
            let synchronous = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            guard synchronous == 2 else {
                throw StoreError.backend("could not set synchronous = FULL on \(path)")
            }
            try Schema.migrator.migrate(pool)
            let (current, compacted) = try pool.read { db in
                let head = try Schema.head(db)
                return (head.current, head.compacted)
            }
            state = Mutex(State(current: current, compacted: compacted))
            logger.info("opened store", metadata: [
                "path": "\(path)", "revision": "\(current)", "compactedRevision": "\(compacted)",
            ])
        } catch let error as StoreError {
            fileLock.release()
            throw error
        } catch {
            fileLock.release()
            throw StoreError.backend("opening \(path): \(error)")
        }
    }

    // MARK: Store

    public func currentRevision() async throws -> Int64 {
        try state.withLock { s in
            if s.closed { throw StoreError.closed }
            return s.current
        }
    }

    public func compactedRevision() async throws -> Int64 {
        try state.withLock { s in
            if s.closed { throw StoreError.closed }
            return s.compacted
        }
    }

    public func create(key: String, value: [UInt8]) async throws -> KeyValue {
        guard case .put(let kv) = try await submit(.create(key: key, value: value)) else {
            throw StoreError.backend("unexpected write outcome")
        }
        return kv
    }

    public func update(key: String, value: [UInt8], expectedRevision: Int64) async throws -> KeyValue {
        guard case .put(let kv) = try await submit(.update(key: key, value: value, expectedRevision: expectedRevision)) else {
            throw StoreError.backend("unexpected write outcome")
        }
        return kv
    }

    public func delete(key: String, expectedRevision: Int64?) async throws -> (revision: Int64, previous: KeyValue) {
        guard case .deleted(let revision, let previous) = try await submit(.delete(key: key, expectedRevision: expectedRevision)) else {
            throw StoreError.backend("unexpected write outcome")
        }
        return (revision, previous)
    }

    public func compact(revision: Int64) async throws {
        let started = ContinuousClock.now
        _ = try await submit(.compact(revision: revision))
        logger.info("compacted", metadata: [
            "revision": "\(revision)", "duration": "\(ContinuousClock.now - started)",
        ])
    }

    public func close() async throws {
        let watchers = try state.withLock { s in
            if s.closed { throw StoreError.closed }
            s.closed = true
            defer { s.watchers = [:] }
            return Array(s.watchers.values)
        }
        // Finish outside the lock: finishing runs the streams' termination handlers.
        for watcher in watchers {
            watcher.continuation.finish(throwing: StoreError.closed)
        }
        // Writes accepted before the close complete first.
        await waitUntilWriterIdle()
        defer { lock.release() }
        do {
            try pool.close()
        } catch {
            throw StoreError.backend("closing \(path): \(error)")
        }
        logger.info("closed store", metadata: ["path": "\(path)"])
    }

    // MARK: Introspection for tests and metrics

    /// The number of write transactions committed since the store was opened.
    package var transactionCount: Int { state.withLock { $0.transactions } }

    /// The number of write requests (successful or not) that went through those transactions.
    package var writeRequestCount: Int { state.withLock { $0.writeRequests } }

    /// The number of watches currently registered.
    package var watcherCount: Int { state.withLock { $0.watchers.count } }
}

// MARK: - Shared state

extension SQLiteStore {
    /// Everything mutable, behind one lock.
    struct State {
        /// The newest committed (and published) revision.
        var current: Int64
        var compacted: Int64
        var closed = false

        /// Writes waiting for the writer, in arrival order.
        var pending: [WriteRequest] = []
        /// True while a drain is scheduled or running on the writer.
        var draining = false
        /// Waiting for the writer to become idle (close).
        var idleWaiters: [CheckedContinuation<Void, Never>] = []

        var watchers: [UInt64: Watcher] = [:]
        var nextWatcherID: UInt64 = 1

        var transactions = 0
        var writeRequests = 0

        init(current: Int64, compacted: Int64) {
            self.current = current
            self.compacted = compacted
        }
    }

    /// Maps an error from SQLite or GRDB to the store's errors.
    func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if state.withLock({ $0.closed }) { return .closed }
        return .backend("\(error)")
    }
}

extension SQLiteStore {
    /// The number of rows in the revision log (tests: what compaction removed).
    package func logRowCount() async throws -> Int {
        try checkOpen()
        return try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM kv") ?? 0 }
    }
}

extension SQLiteStore {
    /// The writer connection's journal mode and synchronous level (tests: durability settings).
    package func durabilitySettings() async throws -> (journalMode: String, synchronous: Int) {
        try checkOpen()
        return try await pool.writeWithoutTransaction { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
            let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            return (mode, synchronous)
        }
    }
}
