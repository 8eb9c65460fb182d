@testable import KyvernAPIServer
import KyvernStore
import Logging
import Testing

@Suite("EventExpirySchedule")
struct EventExpiryTests {
    let start = ContinuousClock.now

    @Test func eventsExpireOneTTLAfterTheirWrite() {
        var schedule = EventExpirySchedule(ttl: .seconds(10))
        schedule.written(key: "/a", revision: 1, at: start)
        schedule.written(key: "/b", revision: 2, at: start + .seconds(4))
        #expect(schedule.expired(at: start + .seconds(9)).isEmpty)
        #expect(schedule.expired(at: start + .seconds(10)).map(\.key) == ["/a"])
        #expect(schedule.expired(at: start + .seconds(13)).isEmpty)
        let due = schedule.expired(at: start + .seconds(14))
        #expect(due.map(\.key) == ["/b"] && due.map(\.revision) == [2])
        #expect(schedule.count == 0)
    }

    @Test func aRewriteRestartsTheTTL() {
        var schedule = EventExpirySchedule(ttl: .seconds(10))
        schedule.written(key: "/a", revision: 1, at: start)
        schedule.written(key: "/a", revision: 5, at: start + .seconds(8))
        #expect(schedule.expired(at: start + .seconds(12)).isEmpty)
        let due = schedule.expired(at: start + .seconds(18))
        #expect(due.map(\.key) == ["/a"] && due.map(\.revision) == [5])
        #expect(schedule.expired(at: start + .seconds(100)).isEmpty)
    }

    @Test func deletedEventsAreNotExpired() {
        var schedule = EventExpirySchedule(ttl: .seconds(1))
        schedule.written(key: "/a", revision: 1, at: start)
        schedule.written(key: "/b", revision: 2, at: start)
        schedule.removed(key: "/a")
        #expect(schedule.count == 1)
        #expect(schedule.expired(at: start + .seconds(2)).map(\.key) == ["/b"])
    }

    @Test func aKeyRecreatedAfterDeletionGetsItsOwnDeadline() {
        var schedule = EventExpirySchedule(ttl: .seconds(10))
        schedule.written(key: "/a", revision: 1, at: start)
        schedule.removed(key: "/a")
        schedule.written(key: "/a", revision: 3, at: start + .seconds(5))
        #expect(schedule.expired(at: start + .seconds(10)).isEmpty)
        #expect(schedule.expired(at: start + .seconds(15)).map(\.revision) == [3])
    }

    @Test func theServiceDeletesExpiredEventsAndNothingElse() async throws {
        let logger = Logger(label: "kyvern.test.expiry")
        let store = MemoryStore()
        let cache = WatchCache(logger: logger)
        await cache.load([], revision: 0)
        let storage = ObjectStorage(store: store, cache: cache)
        let event = StorageKeys.resourcePrefix(group: "", resource: "events") + "ns/e1"
        let rewritten = StorageKeys.resourcePrefix(group: "", resource: "events") + "ns/e2"
        let configMap = StorageKeys.resourcePrefix(group: "", resource: "configmaps") + "ns/c"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await batch in store.watch(prefix: StorageKeys.root, startRevision: 1) {
                    await cache.apply(batch)
                }
            }
            group.addTask {
                try await EventExpiry(ttl: .seconds(3), storage: storage, logger: logger,
                                      interval: .milliseconds(50)).run()
            }
            let clock = ContinuousClock()
            let created = clock.now
            _ = try await store.create(key: event, value: Array(#"{"kind":"Event"}"#.utf8))
            let first = try await store.create(key: rewritten, value: Array(#"{"kind":"Event"}"#.utf8))
            _ = try await store.create(key: configMap, value: Array(#"{"kind":"ConfigMap"}"#.utf8))
            try await Task.sleep(for: .milliseconds(1500))
            let rewrittenAt = clock.now
            _ = try await store.update(key: rewritten, value: Array(#"{"kind":"Event","count":2}"#.utf8),
                                       expectedRevision: first.modRevision)
            // Lower bounds only, so a loaded machine (which delays the expiry pass) cannot make it flaky:
            // each event lives at least its TTL, and the rewritten one's TTL restarted at the rewrite
            // (without the restart it would go 3 s after its creation, 1.5 s after the rewrite).
            #expect(try await Self.eventually { try await store.get(key: event, revision: nil) == nil })
            #expect(clock.now - created >= .seconds(3))
            #expect(try await Self.eventually { try await store.get(key: rewritten, revision: nil) == nil })
            #expect(clock.now - rewrittenAt >= .seconds(3))
            #expect(try await store.get(key: configMap, revision: nil) != nil)
            group.cancelAll()
        }
    }

    /// Polls `condition` every 50 ms for up to 60 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
