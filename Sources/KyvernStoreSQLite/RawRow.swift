import GRDB
import GRDBSQLite

/// Column access straight from SQLite for the hot paths (a range of 10,000 keys), without
/// GRDB's generic row decoding: keys and values are copied once, from the page into the result.
struct RawRow {
    let statement: SQLiteStatement

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    func bool(_ column: Int32) -> Bool {
        sqlite3_column_int64(statement, column) != 0
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    /// The bytes of a BLOB column (empty for NULL or a zero-length blob).
    func bytes(_ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: pointer, byteCount: count)
            initialized = count
        }
    }

    /// A key stored as the BLOB of its UTF-8 bytes.
    func key(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_blob(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}

extension Statement {
    /// Runs the statement with `arguments` and calls `body` for each row.
    func forEachRow(arguments: StatementArguments, _ body: (RawRow) throws -> Void) throws {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        let row = RawRow(statement: sqliteStatement)
        while try cursor.next() != nil {
            try body(row)
        }
    }

    /// Runs the statement with `arguments` and decodes its first row, if any.
    func firstRow<T>(arguments: StatementArguments, _ decode: (RawRow) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        guard try cursor.next() != nil else { return nil }
        return try decode(RawRow(statement: sqliteStatement))
    }
}

extension SQLiteStore {
    /// Lowers SQLite's maximum string/BLOB length on the writer (tests: a write SQLite refuses).
    package func limitWriterValueLength(to bytes: Int32) async throws {
        try await pool.writeWithoutTransaction { db in
            _ = sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, bytes)
        }
    }
}
