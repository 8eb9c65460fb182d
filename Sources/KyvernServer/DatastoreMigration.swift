public import Foundation
public import KyvernStore
import KyvernStoreEtcd
public import Logging

/// Moves a cluster's state between backends (`kyvern datastore export` / `import`).
///
/// The export format (version 1) is JSON lines, so a dump streams, diffs and greps:
/// ```
/// {"format":"kyvern-datastore","version":1,"revision":1234,"keys":2}
/// {"key":"/registry/namespaces/default","value":"<base64>","createRevision":3,"modRevision":9}
/// ...
/// ```
/// The header names the source revision the snapshot was read at and how many key lines follow
/// (an import refuses a truncated file). Key lines come in ascending `modRevision` order, and the
/// import writes them in file order: the target store gives every key a new revision, so objects'
/// resourceVersions are renewed (the store's revision is stamped on read) but keep their relative
/// order; values — and with them uids, generations and timestamps — are copied byte for byte.
public enum DatastoreMigration {
    public static let format = "kyvern-datastore"
    public static let version = 1

    /// One key of a dump.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: [UInt8]
        public var createRevision: Int64
        public var modRevision: Int64
    }

    /// What a dump's first line says.
    public struct Header: Sendable, Hashable {
        public var revision: Int64
        public var keys: Int
    }

    public struct MigrationError: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    // MARK: - Export

    /// Reads every live key of `store` at one revision (pages of `pageSize`), oldest write first.
    public static func snapshot(of store: any Store, pageSize: Int = 500,
                                progress: (Int) -> Void = { _ in }) async throws -> (Header, [Entry]) {
        var entries: [Entry] = []
        var revision: Int64? = nil
        var startKey: String? = nil
        while true {
            let page = try await store.range(prefix: "", startKey: startKey, limit: pageSize, revision: revision)
            revision = page.revision
            // startKey is inclusive: skip the key the previous page ended with.
            for kv in page.items where kv.key != startKey {
                entries.append(Entry(key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision))
            }
            progress(entries.count)
            guard page.more, let last = page.items.last?.key else { break }
            startKey = last
        }
        entries.sort { ($0.modRevision, $0.key) < ($1.modRevision, $1.key) }
        return (Header(revision: revision ?? 0, keys: entries.count), entries)
    }

    /// The dump as lines (each ending in a newline), header first.
    public static func encode(header: Header, entries: [Entry]) -> [String] {
        var lines = [#"{"format":"\#(format)","version":\#(version),"revision":\#(header.revision),"keys":\#(header.keys)}"# + "\n"]
        lines.reserveCapacity(entries.count + 1)
        for entry in entries {
            lines.append(#"{"key":\#(jsonString(entry.key)),"value":"\#(Data(entry.value).base64EncodedString())","createRevision":\#(entry.createRevision),"modRevision":\#(entry.modRevision)}"# + "\n")
        }
        return lines
    }

    private static func jsonString(_ string: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [string], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        // `["…"]` → `"…"`
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    // MARK: - Import

    /// Parses a dump, checking its header and that exactly the announced keys follow.
    public static func decode(_ data: Data) throws -> (Header, [Entry]) {
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).makeIterator()
        guard let first = lines.next(),
              let head = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any],
              head["format"] as? String == format else {
            throw MigrationError("not a kyvern datastore export (the first line must be its \"\(format)\" header)")
        }
        guard let fileVersion = head["version"] as? Int, fileVersion == version else {
            throw MigrationError("unsupported export version \(head["version"] ?? "none") (this kyvern reads version \(version))")
        }
        let header = Header(revision: (head["revision"] as? NSNumber)?.int64Value ?? 0, keys: head["keys"] as? Int ?? -1)
        var entries: [Entry] = []
        var number = 1
        while let line = lines.next() {
            number += 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let key = object["key"] as? String, !key.isEmpty,
                  let encoded = object["value"] as? String, let value = Data(base64Encoded: encoded) else {
                throw MigrationError("line \(number): expected {\"key\":…,\"value\":<base64>,…}")
            }
            entries.append(Entry(key: key, value: [UInt8](value),
                                 createRevision: (object["createRevision"] as? NSNumber)?.int64Value ?? 0,
                                 modRevision: (object["modRevision"] as? NSNumber)?.int64Value ?? 0))
        }
        guard entries.count == header.keys else {
            throw MigrationError("the export announces \(header.keys) keys but holds \(entries.count): truncated or edited")
        }
        return (header, entries)
    }

    /// Writes `entries` into `store` in order. A store that already holds keys is refused unless
    /// `force`, which overwrites keys present in both (keys only in the store are left alone).
    /// - Returns: how many keys were written.
    @discardableResult
    public static func load(_ entries: [Entry], into store: any Store, force: Bool,
                            progress: (Int) -> Void = { _ in }) async throws -> Int {
        let existing = try await store.range(prefix: "", startKey: nil, limit: 1, revision: nil)
        if let some = existing.items.first, !force {
            throw MigrationError("the target datastore is not empty (it holds \(some.key)); use --force to write into it anyway")
        }
        let empty = existing.items.isEmpty
        var written = 0
        for entry in entries {
            if empty {
                _ = try await store.create(key: entry.key, value: entry.value)
            } else {
                try await overwrite(entry, in: store)
            }
            written += 1
            progress(written)
        }
        return written
    }

    private static func overwrite(_ entry: Entry, in store: any Store) async throws {
        while true {
            do {
                if let current = try await store.get(key: entry.key, revision: nil) {
                    _ = try await store.update(key: entry.key, value: entry.value, expectedRevision: current.modRevision)
                } else {
                    _ = try await store.create(key: entry.key, value: entry.value)
                }
                return
            } catch StoreError.conflict, StoreError.keyExists, StoreError.notFound {
                continue // changed meanwhile: read again
            }
        }
    }

    // MARK: - Opening a backend

    /// Opens `datastore`, runs `body` with it (an etcd store's connections run meanwhile) and closes it.
    public static func withStore<T: Sendable>(_ datastore: Datastore, logger: Logger,
                                              _ body: (any Store) async throws -> T) async throws -> T {
        let (store, _) = try datastore.open(logger: logger)
        let runner: Task<Void, Never>? = (store as? EtcdStore).map { etcd in
            Task { try? await etcd.run() }
        }
        do {
            let result = try await body(store)
            try await store.close()
            await runner?.value
            return result
        } catch {
            try? await store.close()
            await runner?.value
            throw error
        }
    }
}
