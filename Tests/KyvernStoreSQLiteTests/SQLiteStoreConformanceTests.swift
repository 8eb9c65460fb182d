import KyvernStore
import KyvernStoreSQLite
import Testing

@Suite("SQLiteStore conformance")
struct SQLiteStoreConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformanceCheck) async throws {
        try await withFreshStore { store, _ in
            do {
                try await check.run(store)
            } catch let failure as ConformanceFailure {
                Issue.record("\(failure)")
            }
        }
    }

    /// The suite counts revisions from where the store stands, so it also holds for a backend
    /// whose fresh store is not at revision 0 (a new etcd is at 1): run it on a store with some
    /// history behind it.
    @Test(arguments: StoreConformance.checks.filter { $0.name != "revision.startsAtZero" })
    func conformanceAfterEarlierWrites(_ check: StoreConformanceCheck) async throws {
        try await withFreshStore { store, _ in
            _ = try await store.create(key: "/earlier", value: [1])
            _ = try await store.delete(key: "/earlier", expectedRevision: nil)
            do {
                try await check.run(store)
            } catch let failure as ConformanceFailure {
                Issue.record("\(failure)")
            }
        }
    }

    @Test func checkNamesAreUnique() {
        let names = StoreConformance.checks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 40)
    }
}
