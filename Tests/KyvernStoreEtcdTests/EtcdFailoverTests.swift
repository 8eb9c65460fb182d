import KyvernStore
import KyvernStoreEtcd
import Testing

/// A member going away mid-stream: the store moves to the next member, writes go on, and a watch
/// resumes there from the revision after its last event — every event once, in order.
@Suite("EtcdStore failover")
struct EtcdFailoverTests {
    @Test func writesAndWatchesContinueOnAnotherMember() async throws {
        let cluster = try EtcdCluster(size: 3)
        defer { cluster.stop() }
        try await cluster.waitUntilReady()
        try await withRunningStore(try cluster.makeStore(requestTimeout: .seconds(3))) { store in
            let base = try await store.currentRevision()
            let total = 60
            let watch = store.watch(prefix: "/f/", startRevision: base + 1)
            let collector = Task {
                var events: [StoreEvent] = []
                for try await batch in watch {
                    events += batch
                    if events.count >= total { break }
                }
                return events
            }
            var written: [KeyValue] = []
            for i in 0..<total {
                if i == total / 2 { cluster.kill(0) }  // the member every call went to so far
                var attempt = 0
                while true {
                    do {
                        written.append(try await store.create(key: "/f/\(i)", value: Array("v\(i)".utf8)))
                        break
                    } catch StoreError.backend(let message) {
                        // the write in flight when the member died may fail; a retry goes to the next member
                        attempt += 1
                        if attempt > 5 { throw StoreError.backend(message) }
                        if let existing = try await store.get(key: "/f/\(i)", revision: nil) {
                            written.append(existing)
                            break
                        }
                    }
                }
            }
            let events = try await collector.value
            #expect(events.count == total)
            #expect(events.map(\.kv) == written)
            #expect(events.map(\.revision) == events.map(\.revision).sorted())
            #expect(Set(events.map(\.revision)).count == total)
        }
    }
}
