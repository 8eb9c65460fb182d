import Foundation
import GRPCCore
public import KyvernStore

// Writes: each one Txn whose compare is the store contract's precondition, so etcd decides
// atomically. When a member goes away during a write, whether it committed is unknown; the
// store reads the key on the next member and treats the write as done only when the key holds
// exactly what was written, otherwise it writes there again.

extension EtcdStore {
    public func create(key: String, value: [UInt8]) async throws -> KeyValue {
        try checkOpen()
        let k = EtcdKeys.bytes(key)
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [Self.compare(k, .create, .equal, revision: 0)]
        txn.success = [Self.put(k, value, prevKv: false)]
        let request = txn
        return try await writing(key: key, landed: { existing in
            existing.value == value && existing.createRevision == existing.modRevision ? existing : nil
        }) {
            let response = try await self.txnCall(request)
            guard response.succeeded else { throw StoreError.keyExists(key: key) }
            let revision = response.header.revision
            return KeyValue(key: key, value: value, createRevision: revision, modRevision: revision)
        }
    }

    public func update(key: String, value: [UInt8], expectedRevision: Int64) async throws -> KeyValue {
        try checkOpen()
        let k = EtcdKeys.bytes(key)
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [Self.compare(k, .create, .greater, revision: 0),
                       Self.compare(k, .mod, .equal, revision: expectedRevision)]
        txn.success = [Self.put(k, value, prevKv: true)]
        txn.failure = [Self.get(k)]
        let request = txn
        return try await writing(key: key, landed: { existing in
            existing.value == value && existing.modRevision > expectedRevision ? existing : nil
        }) {
            let response = try await self.txnCall(request)
            guard response.succeeded else { throw Self.preconditionFailure(key: key, response) }
            let previous = response.responses.first?.responsePut.prevKv
            return KeyValue(key: key, value: value, createRevision: previous?.createRevision ?? response.header.revision,
                            modRevision: response.header.revision)
        }
    }

    public func delete(key: String, expectedRevision: Int64?) async throws -> (revision: Int64, previous: KeyValue) {
        try checkOpen()
        let k = EtcdKeys.bytes(key)
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [Self.compare(k, .create, .greater, revision: 0)]
        if let expectedRevision { txn.compare.append(Self.compare(k, .mod, .equal, revision: expectedRevision)) }
        var delete = Etcdserverpb_DeleteRangeRequest()
        delete.key = k
        delete.prevKv = true
        var op = Etcdserverpb_RequestOp()
        op.request = .requestDeleteRange(delete)
        txn.success = [op]
        txn.failure = [Self.get(k)]
        // A delete that may have landed cannot be recognised afterwards (the key is simply gone),
        // so it is not repeated: the caller sees the failure and reads again.
        let response = try await txnCall(txn)
        guard response.succeeded else { throw Self.preconditionFailure(key: key, response) }
        guard let previous = response.responses.first?.responseDeleteRange.prevKvs.first else {
            throw StoreError.backend("etcd deleted \(key) but returned no previous value")
        }
        return (response.header.revision, EtcdKeys.keyValue(previous))
    }

    /// Runs `attempt`; when the member fails during it, reads the key on the next member and
    /// returns what `landed` recognises as this write, or attempts again there.
    private func writing(
        key: String, landed: @Sendable (KeyValue) -> KeyValue?, _ attempt: @Sendable () async throws -> KeyValue
    ) async throws -> KeyValue {
        var failures = 0
        while true {
            do {
                return try await attempt()
            } catch let error as EtcdUnavailable {
                failures += 1
                if failures >= members.clients.count + 1 { throw StoreError.backend("\(error)") }
                if let existing = try await get(key: key, revision: nil), let ours = landed(existing) {
                    return ours
                }
            }
        }
    }

    func txnCall(_ request: Etcdserverpb_TxnRequest) async throws -> Etcdserverpb_TxnResponse {
        let options = members.unaryOptions
        do {
            return try await EtcdErrors.mapped(passingUnavailable: true) {
                try await self.members.call(retries: false) { client in
                    try await Etcdserverpb_KV.Client(wrapping: client).txn(request, options: options)
                }
            }
        } catch let error as RPCError where EtcdMembers.isUnavailable(error) {
            throw EtcdUnavailable(error: error)
        }
    }

    private static func preconditionFailure(key: String, _ response: Etcdserverpb_TxnResponse) -> StoreError {
        if let current = response.responses.first?.responseRange.kvs.first {
            return .conflict(key: key, current: EtcdKeys.keyValue(current))
        }
        return .notFound(key: key)
    }

    static func compare(_ key: Data, _ target: Etcdserverpb_Compare.CompareTarget,
                        _ result: Etcdserverpb_Compare.CompareResult, revision: Int64) -> Etcdserverpb_Compare {
        var compare = Etcdserverpb_Compare()
        compare.key = key
        compare.target = target
        compare.result = result
        compare.targetUnion = target == .create ? .createRevision(revision) : .modRevision(revision)
        return compare
    }

    static func put(_ key: Data, _ value: [UInt8], prevKv: Bool) -> Etcdserverpb_RequestOp {
        var put = Etcdserverpb_PutRequest()
        put.key = key
        put.value = Data(value)
        put.prevKv = prevKv
        var op = Etcdserverpb_RequestOp()
        op.request = .requestPut(put)
        return op
    }

    static func get(_ key: Data) -> Etcdserverpb_RequestOp {
        var range = Etcdserverpb_RangeRequest()
        range.key = key
        var op = Etcdserverpb_RequestOp()
        op.request = .requestRange(range)
        return op
    }
}

/// A write's member went away before it answered: the write may or may not have committed.
struct EtcdUnavailable: Error, CustomStringConvertible {
    var error: RPCError
    var description: String { "etcd member unavailable during a write: \(error.code): \(error.message)" }
}
