import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

extension TestClock {
    func advance(_ seconds: TimeInterval) { now += seconds }
}

/// Upstream client-go's event correlation, rule by rule, through the recorder and the fake API.
@Suite struct EventCorrelationTests {
    let client = FakeClient()
    let clock = TestClock(Timestamp.parse("2026-01-01T01:00:00Z")!)
    let rs: JSONValue = ["apiVersion": "apps/v1", "kind": "ReplicaSet",
                         "metadata": ["name": "web", "namespace": "default", "uid": "u-1", "resourceVersion": "7"]]

    func recorder(_ options: EventCorrelator.Options = .init()) -> EventRecorder {
        let clock = clock
        return EventRecorder(client: client, component: "replicaset-controller", logger: Logger(label: "test"),
                             options: options, now: { clock.now })
    }

    var events: [JSONValue] { client.objects(.events, namespace: "default") }

    func writes(_ verb: String) -> [FakeClient.Action] {
        client.writes.filter { $0.verb == verb && $0.resource == "events" }
    }

    @Test func anIdenticalEventRaisesTheCountOfTheFirstWithAPatch() async throws {
        let recorder = recorder()
        await recorder.record(rs, .warning, reason: "FailedCreate", message: "quota exceeded")
        await recorder.flush()
        let first = try #require(events.first)
        clock.advance(30)
        await recorder.record(rs, .warning, reason: "FailedCreate", message: "quota exceeded")
        await recorder.flush()
        clock.advance(30)
        await recorder.record(rs, .warning, reason: "FailedCreate", message: "quota exceeded")
        await recorder.flush()

        #expect(writes("create").count == 1)
        #expect(writes("patch").count == 2)
        let patch = try #require(writes("patch").last?.body)
        #expect(patch == ["count": 3, "lastTimestamp": "2026-01-01T01:01:00Z", "message": "quota exceeded"])
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.name == first.name)
        #expect(event["count"] == 3)
        #expect(event["firstTimestamp"] == "2026-01-01T01:00:00Z")
        #expect(event["lastTimestamp"] == "2026-01-01T01:01:00Z")
        #expect(event[path: ["involvedObject", "uid"]] == "u-1")
        #expect(event[path: ["source", "component"]] == "replicaset-controller")
    }

    @Test func eventsDifferingInTypeReasonOrObjectAreSeparate() async throws {
        let recorder = recorder()
        var other = rs
        other.setMetadata("uid", "u-2")
        await recorder.record(rs, .warning, reason: "FailedCreate", message: "m")
        await recorder.flush()
        await recorder.record(rs, .normal, reason: "FailedCreate", message: "m")
        await recorder.flush()
        await recorder.record(rs, .warning, reason: "FailedDelete", message: "m")
        await recorder.flush()
        await recorder.record(other, .warning, reason: "FailedCreate", message: "m")
        await recorder.flush()
        #expect(writes("create").count == 4 && writes("patch").isEmpty)
    }

    @Test func aDeletedEventIsCreatedAgainOnTheNextRepeat() async throws {
        let recorder = recorder()
        await recorder.record(rs, .normal, reason: "Tick", message: "same")
        await recorder.flush()
        let name = try #require(events.first?.name)
        try await client.delete(.events, namespace: "default", name: name)
        await recorder.record(rs, .normal, reason: "Tick", message: "same")
        await recorder.flush()
        #expect(writes("patch").count == 1)
        #expect(writes("create").count == 2)
        #expect(events.count == 1)
        #expect(events.first?["count"] == 2)
    }

    @Test func theTenthDifferentMessageForOneReasonIsCombinedAndFurtherOnesCounted() async throws {
        let recorder = recorder()
        for i in 1...9 {
            await recorder.record(rs, .normal, reason: "SuccessfulCreate", message: "Created pod: web-\(i)")
            await recorder.flush()
        }
        #expect(events.count == 9)
        await recorder.record(rs, .normal, reason: "SuccessfulCreate", message: "Created pod: web-10")
        await recorder.flush()
        #expect(events.count == 10)
        let combined = try #require(events.first { $0["message"] == "(combined from similar events): Created pod: web-10" })
        #expect(combined["count"] == 1)
        await recorder.record(rs, .normal, reason: "SuccessfulCreate", message: "Created pod: web-11")
        await recorder.flush()
        #expect(events.count == 10, "the aggregate Event is counted, not created again")
        let updated = try #require(events.first { $0.name == combined.name })
        #expect(updated["message"] == "(combined from similar events): Created pod: web-11")
        #expect(updated["count"] == 2)
    }

    @Test func similarMessagesMoreThanTheIntervalApartStartAFreshGroup() async throws {
        let recorder = recorder()
        for i in 1...9 {
            await recorder.record(rs, .normal, reason: "SuccessfulCreate", message: "Created pod: web-\(i)")
            await recorder.flush()
            clock.advance(601)
        }
        await recorder.record(rs, .normal, reason: "SuccessfulCreate", message: "Created pod: web-10")
        await recorder.flush()
        #expect(!events.contains { ($0["message"]?.stringValue ?? "").hasPrefix("(combined") })
    }

    @Test func anObjectMayBurst25EventsThenOneEveryFiveMinutes() async throws {
        let recorder = recorder(EventCorrelator.Options(aggregateMaxEvents: 1000))
        for i in 1...30 {
            await recorder.record(rs, .normal, reason: "R\(i)", message: "m")
            await recorder.flush()
        }
        #expect(writes("create").count == 25)
        clock.advance(299)
        await recorder.record(rs, .normal, reason: "Late1", message: "m")
        await recorder.flush()
        #expect(writes("create").count == 25)
        clock.advance(2)
        await recorder.record(rs, .normal, reason: "Late2", message: "m")
        await recorder.flush()
        #expect(writes("create").count == 26)
        // Another object has its own budget.
        var other = rs
        other.setMetadata("name", "api")
        other.setMetadata("uid", "u-9")
        await recorder.record(other, .normal, reason: "R", message: "m")
        await recorder.flush()
        #expect(writes("create").count == 27)
    }

    @Test func repeatsAlsoSpendTheBudget() async throws {
        let recorder = recorder()
        for _ in 1...27 {
            await recorder.record(rs, .warning, reason: "FailedCreate", message: "quota exceeded")
            await recorder.flush()
        }
        #expect(writes("create").count + writes("patch").count == 25)
    }

    @Test func objectsWithoutKindUseTheFallbackAndClusterScopedOnesGoToDefault() async throws {
        let clock = clock
        let recorder = EventRecorder(client: client, component: "deployment-controller", logger: Logger(label: "test"),
                                     fallbackKind: ("Deployment", "apps/v1"), now: { clock.now })
        await recorder.normal(["metadata": ["name": "d", "namespace": "default", "uid": "u"]], reason: "R", message: "m")
        await recorder.flush()
        let event = try #require(events.first)
        #expect(event[path: ["involvedObject", "kind"]] == "Deployment")
        #expect(event[path: ["involvedObject", "apiVersion"]] == "apps/v1")
        #expect((event.name ?? "").hasPrefix("d."))
        await recorder.normal(["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1", "uid": "n"]],
                              reason: "R", message: "m")
        await recorder.flush()
        #expect(events.contains { $0[path: ["involvedObject", "kind"]] == "Node" && $0[path: ["involvedObject", "namespace"]] == nil })
    }

    @Test func recordingOnlyQueuesAndRunWritesInOrder() async throws {
        let recorder = recorder()
        await recorder.record(rs, .normal, reason: "First", message: "m")
        await recorder.record(rs, .normal, reason: "Second", message: "m")
        // Recording never waits for the API: nothing is written until the sink runs.
        #expect(writes("create").isEmpty)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recorder.run() }
            let deadline = ContinuousClock.now + .seconds(5)
            while writes("create").count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(writes("create").compactMap { $0.body?["reason"]?.stringValue } == ["First", "Second"])
    }

    @Test func aFullQueueDropsNewEventsAndCountsThem() async throws {
        let clock = clock
        let recorder = EventRecorder(client: client, component: "replicaset-controller", logger: Logger(label: "test"),
                                     capacity: 2, now: { clock.now })
        for reason in ["A", "B", "C", "D"] {
            await recorder.record(rs, .normal, reason: reason, message: "m")
        }
        #expect(await recorder.dropped == 2)
        await recorder.flush()
        #expect(Set(events.compactMap { $0["reason"]?.stringValue }) == ["A", "B"])
    }

    @Test func lruCacheForgetsTheLeastRecentlyUsed() {
        var cache = LRUCache<Int>(capacity: 2)
        cache.set("a", 1)
        cache.set("b", 2)
        _ = cache.get("a")
        cache.set("c", 3)
        #expect(cache.get("b") == nil)
        #expect(cache.get("a") == 1 && cache.get("c") == 3)
        #expect(cache.count == 2)
    }
}
