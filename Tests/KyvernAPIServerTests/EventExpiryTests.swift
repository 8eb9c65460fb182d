@testable import KyvernAPIServer
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
}
