import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Logging
import Testing

@Suite("WatchCache")
struct WatchCacheTests {
    static let bucket = "/registry/core/configmaps/"

    static func key(_ namespace: String, _ name: String) -> String {
        "\(bucket)\(namespace)/\(name)"
    }

    static func value(_ namespace: String, _ name: String, data: String = "") -> [UInt8] {
        let object: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "data": ["v": .string(data)],
        ]
        return object.serialized()
    }

    static func kv(_ namespace: String, _ name: String, rev: Int64, created: Int64? = nil, data: String = "") -> KeyValue {
        KeyValue(key: key(namespace, name), value: value(namespace, name, data: data),
                 createRevision: created ?? rev, modRevision: rev)
    }

    static func put(_ namespace: String, _ name: String, rev: Int64, created: Int64? = nil, data: String = "") -> StoreEvent {
        StoreEvent(kind: .put, kv: kv(namespace, name, rev: rev, created: created, data: data), previous: nil)
    }

    static func delete(_ namespace: String, _ name: String, rev: Int64) -> StoreEvent {
        StoreEvent(kind: .delete, kv: KeyValue(key: key(namespace, name), value: [], createRevision: 0, modRevision: rev),
                   previous: nil)
    }

    func makeCache(capacity: Int = 50_000) -> WatchCache {
        WatchCache(capacity: capacity, logger: Logger(label: "kyvern.test.watchcache"))
    }

    /// Ends the watch and returns everything it had delivered.
    func drain(_ cache: WatchCache, _ watch: (id: Int, events: AsyncStream<CacheEvent>)) async -> [CacheEvent] {
        await cache.stopWatching(watch.id)
        var out: [CacheEvent] = []
        for await event in watch.events { out.append(event) }
        return out
    }

    func names(_ items: [CachedObject]) -> [String] {
        items.map { $0.object[path: ["metadata", "name"]]?.stringValue ?? "?" }
    }

    // MARK: load

    @Test("load fills buckets, stamps resourceVersion with each object's modRevision and sets the revision")
    func load() async throws {
        let cache = makeCache()
        await cache.load([Self.kv("ns", "b", rev: 3), Self.kv("ns", "a", rev: 5),
                          KeyValue(key: "/registry/core/nodes/n1", value: #"{"kind":"Node","metadata":{"name":"n1"}}"#.utf8.map { $0 },
                                   createRevision: 2, modRevision: 2)],
                         revision: 9)
        #expect(await cache.revision == 9)
        #expect(await cache.oldestWatchableRevision == 9)
        #expect(await cache.count(bucket: Self.bucket) == 2)
        #expect(await cache.count(bucket: "/registry/core/nodes/") == 1)
        let a = try #require(await cache.get(key: Self.key("ns", "a")))
        #expect(a.modRevision == 5)
        #expect(a.object[path: ["metadata", "resourceVersion"]] == "5")
        #expect(try JSONValue.parse(a.bytes) == a.object)
        #expect(names(await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket).items) == ["a", "b"])
    }

    @Test("load skips undecodable values and keys outside the registry")
    func loadSkips() async {
        let cache = makeCache()
        await cache.load([KeyValue(key: Self.key("ns", "bad"), value: Array("{nope".utf8), createRevision: 1, modRevision: 1),
                          KeyValue(key: "/elsewhere/x", value: Self.value("ns", "x"), createRevision: 2, modRevision: 2),
                          Self.kv("ns", "good", rev: 3)],
                         revision: 3)
        #expect(await cache.count(bucket: Self.bucket) == 1)
        #expect(await cache.get(key: Self.key("ns", "bad")) == nil)
        #expect(await cache.get(key: Self.key("ns", "good")) != nil)
    }

    @Test("load replaces earlier contents and ends existing watches")
    func reload() async throws {
        let cache = makeCache()
        await cache.load([Self.kv("ns", "old", rev: 1)], revision: 1)
        let watch = try await cache.watch(prefix: Self.bucket, afterRevision: 1)
        #expect(await cache.watcherCount == 1)
        await cache.load([Self.kv("ns", "new", rev: 7)], revision: 7)
        #expect(await cache.watcherCount == 0)
        var received = 0
        for await _ in watch.events { received += 1 } // finishes because load ended it
        #expect(received == 0)
        #expect(await cache.get(key: Self.key("ns", "old")) == nil)
        #expect(await cache.get(key: Self.key("ns", "new")) != nil)
    }

    // MARK: apply

    @Test("put events add then modify; delete removes")
    func applyEvents() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        await cache.apply([Self.put("ns", "a", rev: 1, data: "1")])
        #expect(await cache.revision == 1)
        #expect(await cache.get(key: Self.key("ns", "a"))?.object[path: ["data", "v"]] == "1")
        await cache.apply([Self.put("ns", "a", rev: 2, created: 1, data: "2"), Self.put("ns", "b", rev: 3)])
        #expect(await cache.revision == 3)
        let a = try #require(await cache.get(key: Self.key("ns", "a")))
        #expect(a.object[path: ["data", "v"]] == "2")
        #expect(a.object[path: ["metadata", "resourceVersion"]] == "2")
        await cache.apply([Self.delete("ns", "a", rev: 4)])
        #expect(await cache.revision == 4)
        #expect(await cache.get(key: Self.key("ns", "a")) == nil)
        #expect(await cache.count(bucket: Self.bucket) == 1)
        #expect(names(await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket).items) == ["b"])
    }

    @Test("events at or below the cache's revision are ignored")
    func staleEventsIgnored() async {
        let cache = makeCache()
        await cache.load([Self.kv("ns", "a", rev: 5, data: "orig")], revision: 5)
        await cache.apply([Self.put("ns", "a", rev: 5, data: "dup"), Self.put("ns", "z", rev: 4)])
        #expect(await cache.revision == 5)
        #expect(await cache.get(key: Self.key("ns", "a"))?.object[path: ["data", "v"]] == "orig")
        #expect(await cache.get(key: Self.key("ns", "z")) == nil)
    }

    @Test("the delete of an unknown key only advances the revision")
    func deleteUnknown() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        let watch = try await cache.watch(prefix: Self.bucket, afterRevision: 0)
        await cache.apply([Self.delete("ns", "ghost", rev: 1)])
        #expect(await cache.revision == 1)
        #expect(await drain(cache, watch).isEmpty)
    }

    // MARK: list and get

    @Test("list is in byte order of keys, by bucket, namespace prefix and start key")
    func list() async {
        let cache = makeCache()
        await cache.load([], revision: 0)
        // Applied out of order on purpose; "B" sorts before "a" in byte order.
        await cache.apply([
            Self.put("ns", "c", rev: 1), Self.put("ns", "a", rev: 2), Self.put("ns2", "x", rev: 3),
            Self.put("ns", "B", rev: 4), Self.put("ns", "b", rev: 5), Self.put("ans", "z", rev: 6),
            StoreEvent(kind: .put, kv: KeyValue(key: "/registry/core/secrets/ns/s", value: Self.value("ns", "s"),
                                                createRevision: 7, modRevision: 7), previous: nil),
        ])
        let all = await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket)
        #expect(all.revision == 7)
        #expect(all.items.map(\.key) == [
            Self.key("ans", "z"), Self.key("ns", "B"), Self.key("ns", "a"), Self.key("ns", "b"),
            Self.key("ns", "c"), Self.key("ns2", "x"),
        ])
        let ns = await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket + "ns/")
        #expect(names(ns.items) == ["B", "a", "b", "c"])
        let fromB = await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket + "ns/", startKey: Self.key("ns", "b"))
        #expect(names(fromB.items) == ["b", "c"])
        let fromMissing = await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket + "ns/", startKey: Self.key("ns", "bb"))
        #expect(names(fromMissing.items) == ["c"])
        let startBeforePrefix = await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket + "ns/", startKey: Self.bucket)
        #expect(names(startBeforePrefix.items) == ["B", "a", "b", "c"])
        let startAfterPrefix = await cache.list(bucket: Self.bucket, keyPrefix: Self.bucket + "ns/", startKey: Self.key("ns2", ""))
        #expect(startAfterPrefix.items.isEmpty)
        let secrets = await cache.list(bucket: "/registry/core/secrets/", keyPrefix: "/registry/core/secrets/")
        #expect(names(secrets.items) == ["s"])
        let empty = await cache.list(bucket: "/registry/core/pods/", keyPrefix: "/registry/core/pods/")
        #expect(empty.items.isEmpty)
        #expect(empty.revision == 7)
    }

    @Test("get returns the current object or nil")
    func get() async {
        let cache = makeCache()
        await cache.load([Self.kv("ns", "a", rev: 1)], revision: 1)
        #expect(await cache.get(key: Self.key("ns", "a"))?.key == Self.key("ns", "a"))
        #expect(await cache.get(key: Self.key("ns", "nope")) == nil)
        #expect(await cache.get(key: "/registry/core/pods/ns/a") == nil)
        #expect(await cache.get(key: "garbage") == nil)
    }

    // MARK: watch

    @Test("watch from a revision replays history after it, then live events")
    func watchReplaysThenLive() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        await cache.apply([Self.put("ns", "a", rev: 1), Self.put("ns", "b", rev: 2), Self.put("ns", "a", rev: 3, created: 1)])
        let watch = try await cache.watch(prefix: Self.bucket, afterRevision: 1)
        await cache.apply([Self.delete("ns", "b", rev: 4), Self.put("ns", "c", rev: 5)])
        let events = await drain(cache, watch)
        #expect(events.map(\.revision) == [2, 3, 4, 5])
        #expect(events.map(\.type) == [.added, .modified, .deleted, .added])
        #expect(events.map { $0.object.object[path: ["metadata", "name"]]?.stringValue } == ["b", "a", "b", "c"])
        // MODIFIED carries the previous state; DELETED the last state stamped with the delete's revision.
        #expect(events[1].previous?.modRevision == 1)
        #expect(events[2].object.object[path: ["metadata", "resourceVersion"]] == "4")
        #expect(events[2].previous?.modRevision == 2)
        #expect(events[0].previous == nil)
    }

    @Test("watch from the current revision gets only live events")
    func watchFromNow() async throws {
        let cache = makeCache()
        await cache.load([Self.kv("ns", "a", rev: 4)], revision: 4)
        let watch = try await cache.watch(prefix: Self.bucket, afterRevision: 4)
        await cache.apply([Self.put("ns", "a", rev: 5, created: 4)])
        let events = await drain(cache, watch)
        #expect(events.map(\.revision) == [5])
        #expect(events.first?.type == .modified)
    }

    @Test("watchers on other prefixes do not receive events")
    func otherPrefixes() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        let ns1 = try await cache.watch(prefix: Self.bucket + "ns1/", afterRevision: 0)
        let ns2 = try await cache.watch(prefix: Self.bucket + "ns2/", afterRevision: 0)
        let secrets = try await cache.watch(prefix: "/registry/core/secrets/", afterRevision: 0)
        let all = try await cache.watch(prefix: Self.bucket, afterRevision: 0)
        await cache.apply([Self.put("ns1", "a", rev: 1), Self.put("ns10", "b", rev: 2), Self.put("ns1", "c", rev: 3)])
        #expect(await drain(cache, ns1).map(\.revision) == [1, 3])
        #expect(await drain(cache, ns2).isEmpty)
        #expect(await drain(cache, secrets).isEmpty)
        #expect(await drain(cache, all).map(\.revision) == [1, 2, 3])
    }

    @Test("history replay is filtered by prefix too")
    func replayFiltered() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        await cache.apply([Self.put("ns1", "a", rev: 1), Self.put("ns2", "b", rev: 2), Self.put("ns1", "c", rev: 3)])
        let watch = try await cache.watch(prefix: Self.bucket + "ns2/", afterRevision: 0)
        #expect(await drain(cache, watch).map(\.revision) == [2])
    }

    @Test("stopWatching ends the stream and forgets the watcher")
    func stopWatching() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        let a = try await cache.watch(prefix: Self.bucket, afterRevision: 0)
        let b = try await cache.watch(prefix: Self.bucket, afterRevision: 0)
        #expect(a.id != b.id)
        #expect(await cache.watcherCount == 2)
        await cache.stopWatching(a.id)
        #expect(await cache.watcherCount == 1)
        await cache.closeAll()
        #expect(await cache.watcherCount == 0)
        var count = 0
        for await _ in b.events { count += 1 }
        #expect(count == 0)
    }

    @Test("after closeAll a new watch ends at once: a stopping server holds no stream open")
    func watchAfterCloseEnds() async throws {
        let cache = makeCache()
        await cache.load([Self.kv("ns", "a", rev: 1)], revision: 1)
        await cache.closeAll()
        let late = try await cache.watch(prefix: Self.bucket, afterRevision: 1)
        #expect(await cache.watcherCount == 0)
        var count = 0
        for await _ in late.events { count += 1 }
        #expect(count == 0)
    }

    // MARK: 410 Gone

    @Test("watch from before the start of history is 410")
    func goneBeforeLoad() async {
        let cache = makeCache()
        await cache.load([Self.kv("ns", "a", rev: 10)], revision: 10)
        await #expect(throws: APIError.self) { _ = try await cache.watch(prefix: Self.bucket, afterRevision: 9) }
        do {
            _ = try await cache.watch(prefix: Self.bucket, afterRevision: 3)
            Issue.record("expected 410")
        } catch let error as APIError {
            #expect(error.code == 410)
            #expect(error.reason == "Expired")
            #expect(error.message.contains("too old resource version: 3 (10)"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("history beyond capacity is dropped and its revisions become 410")
    func capacity() async throws {
        let cache = makeCache(capacity: 3)
        await cache.load([], revision: 0)
        await cache.apply((1...5).map { Self.put("ns", "o\($0)", rev: Int64($0)) })
        #expect(await cache.oldestWatchableRevision == 2)
        do {
            _ = try await cache.watch(prefix: Self.bucket, afterRevision: 1)
            Issue.record("expected 410")
        } catch let error as APIError {
            #expect(error.code == 410)
        }
        let watch = try await cache.watch(prefix: Self.bucket, afterRevision: 2)
        #expect(await drain(cache, watch).map(\.revision) == [3, 4, 5])
    }

    @Test("compacted(to:) forgets history at or below the revision")
    func compacted() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        await cache.apply((1...6).map { Self.put("ns", "o\($0)", rev: Int64($0)) })
        await cache.compacted(to: 4)
        #expect(await cache.oldestWatchableRevision == 4)
        do {
            _ = try await cache.watch(prefix: Self.bucket, afterRevision: 3)
            Issue.record("expected 410")
        } catch let error as APIError {
            #expect(error.code == 410)
        }
        let watch = try await cache.watch(prefix: Self.bucket, afterRevision: 4)
        #expect(await drain(cache, watch).map(\.revision) == [5, 6])
        // Compacting to an older revision never moves the start back.
        await cache.compacted(to: 2)
        #expect(await cache.oldestWatchableRevision == 4)
        // The objects themselves stay.
        #expect(await cache.count(bucket: Self.bucket) == 6)
    }

    // MARK: snapshotAndWatch

    @Test("snapshotAndWatch returns the current objects and only later events")
    func snapshotAndWatch() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        await cache.apply([Self.put("ns", "a", rev: 1), Self.put("ns", "b", rev: 2), Self.put("other", "c", rev: 3),
                           Self.delete("ns", "a", rev: 4)])
        let snapshot = try await cache.snapshotAndWatch(bucket: Self.bucket, keyPrefix: Self.bucket + "ns/")
        #expect(snapshot.revision == 4)
        #expect(names(snapshot.items) == ["b"])
        await cache.apply([Self.put("ns", "d", rev: 5), Self.put("other", "e", rev: 6)])
        let events = await drain(cache, (snapshot.id, snapshot.events))
        #expect(events.map(\.revision) == [5])
        #expect(events.first?.type == .added)
    }

    // MARK: waitUntil

    @Test("waitUntil returns at once for a revision already applied")
    func waitUntilReached() async throws {
        let cache = makeCache()
        await cache.load([], revision: 8)
        try await cache.waitUntil(revision: 8, timeout: .milliseconds(1))
        try await cache.waitUntil(revision: 3, timeout: .milliseconds(1))
    }

    @Test("waitUntil a future revision times out with 504")
    func waitUntilTimeout() async {
        let cache = makeCache()
        await cache.load([], revision: 8)
        let start = ContinuousClock.now
        do {
            try await cache.waitUntil(revision: 20, timeout: .milliseconds(50))
            Issue.record("expected 504")
        } catch let error as APIError {
            #expect(error.code == 504)
            #expect(error.reason == "Timeout")
            #expect(error.message == "Too large resource version: 20, current: 8")
            #expect(error.details?.causes.first?.type == "ResourceVersionTooLarge")
            #expect(error.details?.retryAfterSeconds == 1)
        } catch {
            Issue.record("unexpected \(error)")
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(50))
        // Only "it gave up instead of waiting forever": a loaded machine can stall a task for seconds.
        #expect(elapsed < .seconds(60))
    }

    @Test("waitUntil returns once another task applies the revision")
    func waitUntilCatchesUp() async throws {
        let cache = makeCache()
        await cache.load([], revision: 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cache.waitUntil(revision: 2, timeout: .seconds(10)) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(20))
                await cache.apply([Self.put("ns", "a", rev: 1)])
                try await Task.sleep(for: .milliseconds(20))
                await cache.apply([Self.put("ns", "b", rev: 2)])
            }
            try await group.waitForAll()
        }
        #expect(await cache.revision == 2)
    }

    // MARK: a long replay

    @Test("a watch replaying more history than a watcher's buffer never skips events")
    func longReplay() async throws {
        // The watcher's stream buffers at most 20 000 events (watcherBuffer). Replaying more than that
        // history into it at watch start drops the excess silently (the `.dropped` result of the replay
        // yields is ignored), while live events later flow again: the client sees a gap without an error.
        let total = 20_010
        let cache = makeCache()
        await cache.load([], revision: 0)
        var batch: [StoreEvent] = []
        for rev in 1...total {
            batch.append(Self.put("ns", "o\(rev % 50)", rev: Int64(rev), created: Int64(rev)))
            if batch.count == 1000 {
                await cache.apply(batch)
                batch = []
            }
        }
        await cache.apply(batch)
        let watch = try await cache.watch(prefix: Self.bucket, afterRevision: 0)
        var iterator = watch.events.makeAsyncIterator()
        var received: [Int64] = []
        // Consume what the replay left in the buffer, then let one live event through.
        while received.count < 20_000, let event = await iterator.next() { received.append(event.revision) }
        await cache.apply([Self.put("ns", "live", rev: Int64(total + 1))])
        await cache.stopWatching(watch.id)
        while let event = await iterator.next() { received.append(event.revision) }
        // Whatever arrives must be a gap-free run from revision 1 (an early end is acceptable; a gap is not).
        let gapFree = received == Array((1...Int64(total + 1)).prefix(received.count))
        #expect(received.count >= 20_000)
        #expect(gapFree, "received \(received.count) events, the last ones \(Array(received.suffix(2)))")
    }

    // MARK: point reads

    @Test("peek answers mirrored buckets as get does, after a load, a put and a delete; others go to the actor")
    func peekMirrorsTokenBuckets() async throws {
        let cache = makeCache()
        let account = "/registry/core/serviceaccounts/ns/builder"
        func sa(_ rev: Int64, uid: String) -> KeyValue {
            KeyValue(key: account, value: #"{"kind":"ServiceAccount","metadata":{"name":"builder","namespace":"ns","uid":"\#(uid)"}}"#.utf8.map { $0 },
                     createRevision: 2, modRevision: rev)
        }
        await cache.load([sa(2, uid: "u1"), Self.kv("ns", "cm", rev: 3)], revision: 3)
        #expect(cache.peek(key: account)??.object[path: ["metadata", "uid"]] == "u1")
        #expect(Self.absent(cache.peek(key: "/registry/core/serviceaccounts/ns/other")))
        // ConfigMaps are not mirrored: the caller must ask the actor.
        #expect(cache.peek(key: Self.key("ns", "cm")) == nil)

        await cache.apply([StoreEvent(kind: .put, kv: sa(4, uid: "u2"), previous: nil)])
        #expect(cache.peek(key: account)??.object[path: ["metadata", "uid"]] == "u2")
        #expect(cache.peek(key: account)??.modRevision == 4)
        await cache.apply([StoreEvent(kind: .delete, kv: KeyValue(key: account, value: [], createRevision: 0, modRevision: 5),
                                      previous: nil)])
        #expect(Self.absent(cache.peek(key: account)))
        #expect(await cache.get(key: account) == nil)
    }

    /// A mirrored bucket that does not hold the key (as opposed to nil: not mirrored).
    static func absent(_ peeked: CachedObject??) -> Bool {
        if case .some(.none) = peeked { return true }
        return false
    }
}
