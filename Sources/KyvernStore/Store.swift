/// A key-value store with etcd v3's semantics.
///
/// Every backend (embedded SQLite, etcd) offers exactly this contract so the API server never
/// needs to know which one it talks to, and an etcd backend maps onto it one call to one RPC.
/// Keys are strings (byte order sorts them), values are opaque bytes.
///
/// - One global, strictly increasing revision. Every successful write (create, update, delete)
///   increments it by exactly one and stamps the written key with it.
/// - A write returns only after it is durable.
public protocol Store: Sendable {
    /// The newest revision committed (0 for an empty store).
    func currentRevision() async throws -> Int64

    /// The revision up to which history was compacted (0 if never).
    func compactedRevision() async throws -> Int64

    /// Creates `key` only if it does not exist (a deleted key may be created again).
    /// - Returns: the new key-value, whose `createRevision == modRevision` is the new revision.
    /// - Throws: `StoreError.keyExists`.
    func create(key: String, value: [UInt8]) async throws -> KeyValue

    /// Replaces the value of `key` only if its current `modRevision` equals `expectedRevision`.
    /// - Returns: the new key-value (createRevision kept, modRevision the new revision).
    /// - Throws: `StoreError.notFound` if absent, `StoreError.conflict` (carrying the current
    ///   key-value) when the revision does not match.
    func update(key: String, value: [UInt8], expectedRevision: Int64) async throws -> KeyValue

    /// Deletes `key`, if `expectedRevision` is given only when its `modRevision` matches.
    /// - Returns: the revision of the delete and the key-value as it was before.
    /// - Throws: `StoreError.notFound`, `StoreError.conflict`.
    func delete(key: String, expectedRevision: Int64?) async throws -> (revision: Int64, previous: KeyValue)

    /// Reads one key as of `revision` (nil: the newest).
    /// - Throws: `StoreError.compacted` if `revision` is at or below the compacted revision
    ///   (and not the newest), `StoreError.futureRevision` if above the current one.
    func get(key: String, revision: Int64?) async throws -> KeyValue?

    /// Lists keys that start with `prefix`, in ascending key order, as of `revision`
    /// (nil: the newest), starting at `startKey` (inclusive; nil: from the prefix start),
    /// returning at most `limit` (nil or 0: all) entries.
    /// - Throws: `StoreError.compacted`, `StoreError.futureRevision`.
    func range(prefix: String, startKey: String?, limit: Int?, revision: Int64?) async throws -> RangeResult

    /// Streams every change under `prefix` with `modRevision >= startRevision` (inclusive, as
    /// etcd), in revision order, each with the previous value of the key. Events already
    /// committed are replayed first, then live ones follow. Each element is the batch of
    /// events of one or more revisions.
    /// The stream fails with `StoreError.compacted` if `startRevision` is at or below
    /// the compacted revision. It ends when the consuming task is cancelled.
    /// A `startRevision` of 0 (or less) means "from the next revision", as in etcd; a
    /// `startRevision` above the current revision waits for that revision.
    /// The store buffers events for a consumer that reads slowly; it never holds writes back.
    func watch(prefix: String, startRevision: Int64) -> AsyncThrowingStream<[StoreEvent], any Error>

    /// Discards history older than `revision`: afterwards reads and watches at revisions
    /// `< revision` fail with `StoreError.compacted`; the newest value of every live key is kept.
    /// Compacting at or below the current compacted revision throws `StoreError.compacted`,
    /// above the current revision `StoreError.futureRevision`.
    func compact(revision: Int64) async throws

    /// Flushes and releases resources. Further calls fail.
    func close() async throws
}

/// One key at one revision.
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]
    /// Revision of the write that created this incarnation of the key.
    public var createRevision: Int64
    /// Revision of the last write to the key.
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// The result of a range read.
public struct RangeResult: Sendable, Hashable {
    public var items: [KeyValue]
    /// True when more keys matched beyond `limit`.
    public var more: Bool
    /// The revision the read was served at.
    public var revision: Int64

    public init(items: [KeyValue], more: Bool, revision: Int64) {
        self.items = items
        self.more = more
        self.revision = revision
    }
}

/// One change seen by a watch.
public struct StoreEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case put, delete }
    public var kind: Kind
    /// For `.put` the new key-value; for `.delete` the key with `modRevision` set to the
    /// revision of the delete and an empty value (its `createRevision` is backend-defined;
    /// etcd reports 0).
    public var kv: KeyValue
    /// The key-value before this change (nil for a create).
    public var previous: KeyValue?

    public var revision: Int64 { kv.modRevision }

    public init(kind: Kind, kv: KeyValue, previous: KeyValue?) {
        self.kind = kind
        self.kv = kv
        self.previous = previous
    }
}

/// Errors every backend reports with the same meaning.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case keyExists(key: String)
    case notFound(key: String)
    case conflict(key: String, current: KeyValue)
    /// The requested revision has been compacted away.
    case compacted(requested: Int64, compactedRevision: Int64)
    /// The requested revision is newer than the store's.
    case futureRevision(requested: Int64, current: Int64)
    case closed
    /// A backend failure (I/O, connection) with its description.
    case backend(String)

    public var description: String {
        switch self {
        case .keyExists(let key): "key already exists: \(key)"
        case .notFound(let key): "key not found: \(key)"
        case .conflict(let key, let current): "revision mismatch for \(key) (current \(current.modRevision))"
        case .compacted(let requested, let compacted): "required revision \(requested) has been compacted (compacted revision \(compacted))"
        case .futureRevision(let requested, let current): "required revision \(requested) is a future revision (current \(current))"
        case .closed: "store is closed"
        case .backend(let message): "store backend error: \(message)"
        }
    }
}
