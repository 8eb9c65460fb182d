import Foundation
import GRDB
import Synchronization
public import KyvernStore

// Reads: each runs in one snapshot of a reader connection, which also tells the current and
// compacted revisions, so a compaction committing meanwhile can never be half-seen.

extension SQLiteStore {
    public func get(key: String, revision: Int64?) async throws -> KeyValue? {
        try checkOpen()
        do {
            return try await pool.read { db in
                let (at, newest) = try Self.readRevision(db, requested: revision)
                if newest {
                    let statement = try db.cachedStatement(sql: "SELECT id, create_revision, value FROM current WHERE key = ?")
                    return try statement.firstRow(arguments: [key.keyBlob]) { row in
                        KeyValue(key: key, value: row.bytes(2), createRevision: row.int64(1), modRevision: row.int64(0))
                    }
                }
                let statement = try db.cachedStatement(sql: """
                    SELECT id, deleted, create_revision, value FROM kv
                    WHERE key = ? AND id <= ? ORDER BY id DESC LIMIT 1
                    """)
                let found = try statement.firstRow(arguments: [key.keyBlob, at]) { row -> KeyValue? in
                    if row.bool(1) { return nil }  // a tombstone
                    return KeyValue(key: key, value: row.bytes(3), createRevision: row.int64(2), modRevision: row.int64(0))
                }
                return found ?? nil
            }
        } catch {
            throw storeError(error)
        }
    }

    public func range(prefix: String, startKey: String?, limit: Int?, revision: Int64?) async throws -> RangeResult {
        try checkOpen()
        let end = KeyBounds.end(ofPrefix: prefix)
        let start = (startKey.flatMap { KeyBounds.precedes(prefix, $0) ? $0 : nil } ?? prefix).keyBlob
        let limit = limit.flatMap { $0 > 0 ? $0 : nil }
        do {
            return try await pool.read { db in
                let (at, newest) = try Self.readRevision(db, requested: revision)
                if let end, !start.lexicographicallyPrecedes(end) {
                    return RangeResult(items: [], more: false, revision: at)
                }
                let bound = end == nil ? "" : "AND key < ?2"
                // Fetch one more row than asked to know whether there is more.
                let rowLimit = limit.map { Int64($0) + 1 } ?? -1
                let arguments: StatementArguments = [start, end ?? Data(), at, rowLimit]
                var items: [KeyValue] = []
                items.reserveCapacity(limit.map { $0 + 1 } ?? 256)
                func collect(_ sql: String, into items: inout [KeyValue]) throws {
                    try db.cachedStatement(sql: sql).forEachRow(arguments: arguments) { row in
                        items.append(KeyValue(key: row.key(1), value: row.bytes(3),
                                              createRevision: row.int64(2), modRevision: row.int64(0)))
                    }
                }
                // The keys whose newest row is at or below `at` have the same value at `at` as
                // now: a scan of `current` in key order. At the newest revision, that is all.
                try collect("""
                    SELECT id, key, create_revision, value FROM current
                    WHERE key >= ?1 \(bound) AND id <= ?3
                    ORDER BY key LIMIT ?4
                    """, into: &items)
                if !newest {
                    // The keys written after `at` (the two sets are disjoint): each one's
                    // newest log row at or below `at`, unless that is a tombstone. The cost
                    // grows with what changed since `at`, not with the size of the range.
                    var changed: [KeyValue] = []
                    try collect("""
                        SELECT k.id, k.key, k.create_revision, k.value
                        FROM (SELECT DISTINCT key AS changed_key FROM kv WHERE key >= ?1 \(bound) AND id > ?3) AS changed
                        JOIN kv AS k ON k.id = (
                            SELECT MAX(h.id) FROM kv AS h WHERE h.key = changed.changed_key AND h.id <= ?3)
                        WHERE k.deleted = 0
                        ORDER BY k.key LIMIT ?4
                        """, into: &changed)
                    if !changed.isEmpty { items = Self.merge(items, changed) }
                }
                var more = false
                if let limit, items.count > limit {
                    items.removeLast(items.count - limit)
                    more = true
                }
                return RangeResult(items: items, more: more, revision: at)
            }
        } catch {
            throw storeError(error)
        }
    }

    /// Merges two lists sorted by key, with disjoint keys; `b` is usually the short one (the
    /// keys changed since a past revision), so each of its items is placed by binary search.
    static func merge(_ a: [KeyValue], _ b: [KeyValue]) -> [KeyValue] {
        var merged: [KeyValue] = []
        merged.reserveCapacity(a.count + b.count)
        var from = a.startIndex
        for item in b {
            var low = from, high = a.endIndex
            while low < high {
                let middle = (low + high) / 2
                if KeyBounds.precedes(a[middle].key, item.key) { low = middle + 1 } else { high = middle }
            }
            merged.append(contentsOf: a[from..<low])
            merged.append(item)
            from = low
        }
        merged.append(contentsOf: a[from...])
        return merged
    }

    func checkOpen() throws {
        if state.withLock({ $0.closed }) { throw StoreError.closed }
    }

    /// The revision a read is served at, checked against the snapshot's current and compacted
    /// revisions, and whether it is the snapshot's newest (served from `current`).
    static func readRevision(_ db: Database, requested: Int64?) throws -> (revision: Int64, newest: Bool) {
        let head = try Schema.head(db)
        guard let requested, requested != head.current else { return (head.current, true) }
        if requested > head.current {
            throw StoreError.futureRevision(requested: requested, current: head.current)
        }
        if requested <= head.compacted && requested != head.current {
            throw StoreError.compacted(requested: requested, compactedRevision: head.compacted)
        }
        return (requested, false)
    }
}
