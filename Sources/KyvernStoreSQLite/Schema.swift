import Foundation
import GRDB

/// The database layout.
///
/// - `kv` is the append-only log: one row per write, `id` is the revision. A create has
///   `created = 1`; a delete is a tombstone row with `deleted = 1` and an empty value;
///   `prev_revision` is the id of the row an update or delete replaces (0 for a create);
///   `create_revision` the revision that created this incarnation of the key. Reads at past
///   revisions and watches read it; compaction prunes it.
/// - `current` holds the newest row of every live key, clustered by key (WITHOUT ROWID), so a
///   read at the newest revision is a sequential scan rather than one log lookup per key. The
///   writer updates it in the same transaction as the log.
/// - `meta` holds the compacted revision.
///
/// Keys are stored as the BLOB of their UTF-8 bytes, so SQLite compares them in byte order and a
/// key may hold any character, NUL included (a continuation key is `lastKey + "\u{0}"`).
///
/// Compare-and-swap needs no unique index (kine's `(name, prev_revision)`): one writer checks
/// every precondition against `current` inside the transaction that applies it, and `id`, the
/// primary key, can never be taken twice.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE kv (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    key BLOB NOT NULL,
                    created INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    create_revision INTEGER NOT NULL,
                    prev_revision INTEGER NOT NULL,
                    value BLOB NOT NULL
                );
                -- A key's history in revision order: reads at a revision, compaction.
                CREATE INDEX kv_key_id ON kv (key, id);
                CREATE TABLE current (
                    key BLOB PRIMARY KEY NOT NULL,
                    id INTEGER NOT NULL,
                    create_revision INTEGER NOT NULL,
                    value BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO meta (name, value) VALUES ('compacted', 0);
                """)
        }
        return migrator
    }

    /// The current and compacted revisions as seen by `db`'s transaction.
    ///
    /// The current revision is the greatest id, or the compacted revision if compaction removed
    /// the newest row (a tombstone at the compacted revision).
    static func head(_ db: Database) throws -> (current: Int64, compacted: Int64) {
        let statement = try db.cachedStatement(sql: """
            SELECT (SELECT IFNULL(MAX(id), 0) FROM kv), (SELECT value FROM meta WHERE name = 'compacted')
            """)
        let head = try statement.firstRow(arguments: []) { row in (row.int64(0), row.int64(1)) } ?? (0, 0)
        return (max(head.0, head.1), head.1)
    }
}

/// Key bounds in byte order (the order SQLite compares BLOBs in).
enum KeyBounds {
    /// The smallest byte string greater than every one that starts with `prefix`, nil if there
    /// is none (an empty prefix, or one of 0xFF bytes only).
    static func end(ofPrefix prefix: String) -> Data? {
        var bytes = Array(prefix.utf8)
        while let last = bytes.popLast() {
            if last < 0xFF {
                bytes.append(last + 1)
                return Data(bytes)
            }
        }
        return nil
    }

    /// True if `a` sorts before `b` in the store's key order.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order < 0 || (order == 0 && x.count < y.count)
            }
        }
    }

    static func hasPrefix(_ key: String, _ prefix: String) -> Bool {
        key.utf8.starts(with: prefix.utf8)
    }
}

extension String {
    /// The key as stored: its UTF-8 bytes.
    var keyBlob: Data { Data(utf8) }
}
