import KyvernStore
import KyvernStoreEtcd
import Testing

/// The store contract, checked against real etcd of one member and of three: each check gets a
/// new ``EtcdStore`` on the same etcd, one check at a time (a check counts revisions from where
/// the store stands, so nobody else may write meanwhile), after clearing what the last one left.
@Suite("EtcdStore conformance", .serialized)
final class EtcdStoreConformanceTests {
    static let single = Result { try EtcdCluster(size: 1) }
    static let triple = Result { try EtcdCluster(size: 3) }

    static let checks = StoreConformance.checks.filter { $0.name != "revision.startsAtZero" }

    @Test(arguments: checks)
    func oneMember(_ check: StoreConformanceCheck) async throws {
        try await run(check, on: try Self.single.get())
    }

    @Test(arguments: checks)
    func threeMembers(_ check: StoreConformanceCheck) async throws {
        try await run(check, on: try Self.triple.get())
    }

    private func run(_ check: StoreConformanceCheck, on cluster: EtcdCluster) async throws {
        try await cluster.waitUntilReady()
        try await withRunningStore(try cluster.makeStore()) { store in
            let all = try await store.range(prefix: "", startKey: nil, limit: nil, revision: nil)
            for kv in all.items { _ = try await store.delete(key: kv.key, expectedRevision: nil) }
        }
        try await withRunningStore(try cluster.makeStore()) { store in
            do {
                try await check.run(store)
            } catch let failure as ConformanceFailure {
                Issue.record("\(failure)")
            }
        }
    }
}
