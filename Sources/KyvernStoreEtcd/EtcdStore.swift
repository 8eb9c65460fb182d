import Foundation
import GRPCCore
public import KyvernStore
public import Logging
import Synchronization

/// The ``Store`` contract over etcd's v3 API: every call is one RPC (Range, Txn, Compact) or one
/// watcher on a shared Watch stream, so revisions, compare-and-swap and history are etcd's own.
///
/// Call ``run()`` for as long as the store is in use (it keeps the member connections and the
/// watch stream up); ``close()`` ends it.
public final class EtcdStore: Store {
    let members: EtcdMembers
    let watches: EtcdWatchHub
    let logger: Logger
    private let closed = Atomic<Bool>(false)
    /// The highest compacted revision seen so far: compaction only ever moves up, so the search
    /// for the current one starts here.
    private let knownCompacted = Atomic<Int64>(0)

    public init(configuration: EtcdConfiguration, logger: Logger = Logger(label: "kyvern.store.etcd")) throws {
        members = try EtcdMembers(configuration: configuration, logger: logger)
        watches = EtcdWatchHub(logger: logger)
        self.logger = logger
    }

    /// Keeps the connections to the members and the shared watch stream up until ``close()``.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.members.run() }
            group.addTask { await self.watches.run(members: self.members) }
        }
    }

    public func close() async throws {
        shutdown()
    }

    /// ``close()`` for callers that cannot wait (a shutdown handler): ends every watch with
    /// `StoreError.closed`, refuses further calls and lets ``run()`` return.
    public func shutdown() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        watches.close()
        members.shutdown()
    }

    func checkOpen() throws(StoreError) {
        if closed.load(ordering: .relaxed) { throw .closed }
    }

    // MARK: - Reads

    /// The revision in the header of a read of one key (`\0`, never written): a read over the whole
    /// keyspace, even counting only, would cost etcd a walk over every key.
    public func currentRevision() async throws -> Int64 {
        try checkOpen()
        return try await rangeCall(key: Self.probeKey, rangeEnd: Data(), limit: 1, revision: 0, countOnly: true).header.revision
    }

    static let probeKey = Data([0])

    /// etcd does not report its compacted revision directly; a read at revision `r` fails exactly
    /// when `r` is below it, so a binary search over reads finds it in a few RPCs.
    public func compactedRevision() async throws -> Int64 {
        try checkOpen()
        let current = try await currentRevision()
        var low = knownCompacted.load(ordering: .relaxed)   // reads below `low` fail (or low is 0)
        var high = current                                  // a read at the current revision works
        if low == 0 {
            if try await readable(at: 1) { return 0 }
            low = 1
        }
        // Invariant: reading at `high` works; reading below `low` fails; answer in low...high.
        while low < high {
            let mid = low + (high - low) / 2
            if try await readable(at: mid) { high = mid } else { low = mid + 1 }
        }
        knownCompacted.fetchMax(low)
        return low
    }

    private func readable(at revision: Int64) async throws -> Bool {
        do {
            _ = try await rangeCall(key: Self.probeKey, rangeEnd: Data(), limit: 1, revision: revision, countOnly: true)
            return true
        } catch let error as RPCError where EtcdErrors.isCompacted(error) {
            return false
        }
    }

    public func get(key: String, revision: Int64?) async throws -> KeyValue? {
        try checkOpen()
        let response = try await read(revision: revision) {
            try await self.rangeCall(key: EtcdKeys.bytes(key), rangeEnd: Data(), limit: 0, revision: $0)
        }
        return response.kvs.first.map(EtcdKeys.keyValue)
    }

    public func range(prefix: String, startKey: String?, limit: Int?, revision: Int64?) async throws -> RangeResult {
        try checkOpen()
        var start = EtcdKeys.rangeStart(ofPrefix: prefix)
        if let startKey, startKey.utf8.lexicographicallyPrecedes(prefix.utf8) == false {
            start = EtcdKeys.bytes(startKey)
        }
        let end = EtcdKeys.rangeEnd(ofPrefix: prefix)
        let from = start
        let response = try await read(revision: revision) {
            try await self.rangeCall(key: from, rangeEnd: end, limit: Int64(limit ?? 0), revision: $0)
        }
        return RangeResult(items: response.kvs.map(EtcdKeys.keyValue), more: response.more,
                           revision: revision ?? response.header.revision)
    }

    /// Runs a read at `revision`, turning etcd's compacted/future errors into the store's.
    private func read(
        revision: Int64?, _ body: @Sendable (Int64) async throws -> Etcdserverpb_RangeResponse
    ) async throws -> Etcdserverpb_RangeResponse {
        do {
            return try await body(revision ?? 0)
        } catch let error as RPCError where EtcdErrors.isCompacted(error) {
            throw StoreError.compacted(requested: revision ?? 0, compactedRevision: try await compactedRevision())
        } catch let error as RPCError where EtcdErrors.isFutureRevision(error) {
            throw StoreError.futureRevision(requested: revision ?? 0, current: try await currentRevision())
        }
    }

    func rangeCall(key: Data, rangeEnd: Data, limit: Int64, revision: Int64, countOnly: Bool = false)
        async throws -> Etcdserverpb_RangeResponse
    {
        var request = Etcdserverpb_RangeRequest()
        request.key = key
        request.rangeEnd = rangeEnd
        request.limit = limit
        request.revision = revision
        request.countOnly = countOnly
        let options = members.unaryOptions
        return try await EtcdErrors.mapped {
            try await self.members.call { client in
                try await Etcdserverpb_KV.Client(wrapping: client).range(request, options: options)
            }
        }
    }

    // MARK: - Compaction

    public func compact(revision: Int64) async throws {
        try checkOpen()
        var request = Etcdserverpb_CompactionRequest()
        request.revision = revision
        let options = members.unaryOptions
        do {
            _ = try await EtcdErrors.mapped {
                try await self.members.call { client in
                    try await Etcdserverpb_KV.Client(wrapping: client).compact(request, options: options)
                }
            }
            knownCompacted.fetchMax(revision)
        } catch let error as RPCError where EtcdErrors.isCompacted(error) {
            throw StoreError.compacted(requested: revision, compactedRevision: try await compactedRevision())
        } catch let error as RPCError where EtcdErrors.isFutureRevision(error) {
            throw StoreError.futureRevision(requested: revision, current: try await currentRevision())
        }
    }
}

extension Atomic where Value == Int64 {
    func fetchMax(_ value: Int64) {
        var current = load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
