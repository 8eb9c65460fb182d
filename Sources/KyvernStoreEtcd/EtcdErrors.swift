import GRPCCore
import KyvernStore

/// How etcd's gRPC errors read as the store's.
enum EtcdErrors {
    /// `etcdserver: mvcc: required revision has been compacted`
    static func isCompacted(_ error: RPCError) -> Bool {
        error.code == .outOfRange && error.message.contains("compacted")
    }

    /// `etcdserver: mvcc: required revision is a future revision`
    static func isFutureRevision(_ error: RPCError) -> Bool {
        error.code == .outOfRange && error.message.contains("future revision")
    }

    /// Runs `body`, passing through the RPC errors a caller interprets (compacted, future revision, and
    /// unavailable when asked) and the store's own, and turning every other failure into `StoreError.backend`.
    static func mapped<T>(passingUnavailable: Bool = false, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RPCError {
            if isCompacted(error) || isFutureRevision(error) { throw error }
            if passingUnavailable && EtcdMembers.isUnavailable(error) { throw error }
            throw StoreError.backend("etcd: \(error.code): \(error.message)")
        } catch let error as StoreError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StoreError.backend("etcd: \(error)")
        }
    }
}
