import Foundation
import KyvernStore
@testable import KyvernStoreSQLite
import Testing

@Suite("SQLiteStore")
struct SQLiteStoreTests {
    @Test func durableAcrossCloseAndReopen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }

        var store = try SQLiteStore(path: directory.databasePath)
        let a1 = try await store.create(key: "/a", value: [1])                       // 1
        let b1 = try await store.create(key: "/b", value: [2])                       // 2
        let a2 = try await store.update(key: "/a", value: [3], expectedRevision: 1)  // 3
        _ = try await store.delete(key: "/b", expectedRevision: nil)                 // 4
        let c1 = try await store.create(key: "/c", value: Array(repeating: 9, count: 10_000)) // 5
        try await store.close()

        store = try SQLiteStore(path: directory.databasePath)
        #expect(try await store.currentRevision() == 5)
        #expect(try await store.compactedRevision() == 0)
        #expect(try await store.get(key: "/a", revision: nil) == a2)
        #expect(try await store.get(key: "/a", revision: nil)?.createRevision == a1.createRevision)
        #expect(try await store.get(key: "/b", revision: nil) == nil)
        #expect(try await store.get(key: "/b", revision: 3) == b1)
        #expect(try await store.get(key: "/c", revision: nil) == c1)
        #expect(try await store.range(prefix: "/", startKey: nil, limit: nil, revision: nil).items == [a2, c1])

        // Writing goes on at the next revision; history replays.
        let b2 = try await store.create(key: "/b", value: [4])
        #expect(b2.createRevision == 6 && b2.modRevision == 6)
        var events: [StoreEvent] = []
        for try await batch in store.watch(prefix: "/", startRevision: 1) {
            events += batch
            if events.count >= 6 { break }
        }
        #expect(events.map(\.revision) == [1, 2, 3, 4, 5, 6])
        #expect(events[2].previous == a1)
        #expect(events[3].kind == .delete && events[3].previous == b1)
        try await store.close()
    }

    @Test func writesAreDurableWhenAcknowledged() async throws {
        try await withFreshStore { store, _ in
            let settings = try await store.durabilitySettings()
            #expect(settings.journalMode == "wal")
            #expect(settings.synchronous == 2, "synchronous = FULL: every commit fsyncs the WAL")
        }
    }

    @Test func groupCommitSharesTransactions() async throws {
        try await withFreshStore { store, _ in
            let writes = 200
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<writes {
                    group.addTask { _ = try await store.create(key: "/g/\(i)", value: [UInt8(i & 0xFF)]) }
                }
                try await group.waitForAll()
            }
            let transactions = store.transactionCount
            #expect(store.writeRequestCount == writes)
            #expect(transactions < writes, "\(writes) concurrent creates took \(transactions) transactions")
            #expect(try await store.currentRevision() == Int64(writes))
            print("group commit: \(writes) concurrent creates in \(transactions) transactions")
        }
    }

    @Test func aWriteSQLiteRefusesFailsAlone() async throws {
        try await withFreshStore { store, _ in
            try await store.limitWriterValueLength(to: 10_000)
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let size = i == 17 ? 20_000 : 100
                        do {
                            _ = try await store.create(key: "/big/\(i)", value: [UInt8](repeating: 1, count: size))
                            return (i, true)
                        } catch {
                            return (i, false)
                        }
                    }
                }
                return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes.filter { !$0.value }.map(\.key) == [17])
            #expect(try await store.currentRevision() == 39)
            let listed = try await store.range(prefix: "/big/", startKey: nil, limit: nil, revision: nil)
            #expect(listed.items.count == 39)
            #expect(Set(listed.items.map(\.modRevision)) == Set(1...39))
        }
    }

    @Test func compactionMarkerPersists() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var store = try SQLiteStore(path: directory.databasePath)
        _ = try await store.create(key: "/a", value: [1])                           // 1
        _ = try await store.update(key: "/a", value: [2], expectedRevision: 1)      // 2
        _ = try await store.create(key: "/gone", value: [3])                        // 3
        _ = try await store.delete(key: "/gone", expectedRevision: 3)               // 4: the newest row is a tombstone
        try await store.compact(revision: 4)
        #expect(try await store.logRowCount() == 1)
        try await store.close()

        store = try SQLiteStore(path: directory.databasePath)
        #expect(try await store.compactedRevision() == 4)
        // The current revision survives even though compaction removed its row.
        #expect(try await store.currentRevision() == 4)
        await #expect(throws: StoreError.compacted(requested: 3, compactedRevision: 4)) {
            try await store.get(key: "/a", revision: 3)
        }
        #expect(try await store.get(key: "/a", revision: 4)?.value == [2])
        await #expect(throws: StoreError.compacted(requested: 4, compactedRevision: 4)) {
            try await store.compact(revision: 4)
        }
        let next = try await store.create(key: "/gone", value: [5])
        #expect(next.modRevision == 5)
        try await store.close()
    }

    @Test func compactionRemovesSupersededRows() async throws {
        try await withFreshStore { store, _ in
            for i in 0..<50 { _ = try await store.create(key: "/k/\(i)", value: [0]) }
            for round in 1...4 {
                for i in 0..<50 {
                    _ = try await store.update(key: "/k/\(i)", value: [UInt8(round)], expectedRevision: Int64(i + 1 + (round - 1) * 50))
                }
            }
            for i in 0..<10 { _ = try await store.delete(key: "/k/\(i)", expectedRevision: nil) }
            #expect(try await store.logRowCount() == 260)
            let middle: Int64 = 150
            try await store.compact(revision: middle)
            // Rows above 150 stay, plus the newest row at or below 150 of each key.
            #expect(try await store.logRowCount() == 110 + 50)
            try await store.compact(revision: try await store.currentRevision())
            #expect(try await store.logRowCount() == 40)
            let listed = try await store.range(prefix: "/k/", startKey: nil, limit: nil, revision: nil)
            #expect(listed.items.count == 40)
            #expect(listed.items.allSatisfy { $0.value == [4] })
        }
    }

    /// The replay-to-live hand-over is the part most likely to hide a race: run its check again
    /// and again.
    @Test func watchHandOverRepeatedly() async throws {
        let check = try #require(StoreConformance.check(named: "watch.handOverUnderConcurrentWrites"))
        for _ in 0..<4 {
            try await withFreshStore { store, _ in try await check.run(store) }
        }
    }

    @Test func cancelledWatchesAreRemoved() async throws {
        try await withFreshStore { store, _ in
            _ = try await store.create(key: "/a", value: [1])
            let consumer = Task {
                var count = 0
                for try await batch in store.watch(prefix: "/", startRevision: 1) { count += batch.count }
                return count
            }
            while store.watcherCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
            consumer.cancel()
            _ = try? await consumer.value
            var waited = 0
            while store.watcherCount != 0 && waited < 1000 {
                try await Task.sleep(for: .milliseconds(1))
                waited += 1
            }
            #expect(store.watcherCount == 0)
            // A stream dropped without being iterated is removed too.
            do { _ = store.watch(prefix: "/", startRevision: 0) }
            #expect(store.watcherCount == 0)
        }
    }

    @Test func aSecondOpenerOfTheSameFileFails() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try SQLiteStore(path: directory.databasePath)
        _ = try await first.create(key: "/a", value: [1])
        #expect(throws: StoreError.self) { _ = try SQLiteStore(path: directory.databasePath) }
        try await first.close()
        let second = try SQLiteStore(path: directory.databasePath)
        #expect(try await second.currentRevision() == 1)
        try await second.close()
    }

    @Test func openingAnImpossiblePathFails() {
        #expect(throws: StoreError.self) {
            _ = try SQLiteStore(path: "/nonexistent-dir-\(UUID().uuidString)/x/store.db")
        }
    }

    @Test func prefixBounds() {
        #expect(KeyBounds.end(ofPrefix: "") == nil)
        #expect(KeyBounds.end(ofPrefix: "/a/") == Data("/a0".utf8))
        #expect(KeyBounds.end(ofPrefix: "/a/b") == Data("/a/c".utf8))
        #expect(KeyBounds.end(ofPrefix: "\u{10FFFF}") == Data([0xF4, 0x8F, 0xBF, 0xC0]))
    }

    @Test func keyOrderIsByteOrder() {
        let keys = ["", "/", "/a", "/a\u{0}", "/a\u{0}b", "/a/b", "/aa", "/z", "/é", "/日本", "/\u{10FFFF}", "~"]
        for (i, a) in keys.enumerated() {
            for (j, b) in keys.enumerated() {
                #expect(KeyBounds.precedes(a, b) == (i < j), "\(a.debugDescription) < \(b.debugDescription)")
            }
        }
        func kv(_ key: String) -> KeyValue { KeyValue(key: key, value: [], createRevision: 1, modRevision: 1) }
        let a = ["/b", "/d", "/f", "/h"].map(kv), b = ["/a", "/c", "/g", "/i", "/j"].map(kv)
        #expect(SQLiteStore.merge(a, b).map(\.key) == ["/a", "/b", "/c", "/d", "/f", "/g", "/h", "/i", "/j"])
        #expect(SQLiteStore.merge(a, []).map(\.key) == a.map(\.key))
        #expect(SQLiteStore.merge([], b).map(\.key) == b.map(\.key))
    }

    @Test func keysWithNULAndControlCharacters() async throws {
        try await withFreshStore { store, _ in
            for key in ["/n/a", "/n/a\u{0}", "/n/a\u{0}b", "/n/a\u{1}", "/n/ab"] {
                _ = try await store.create(key: key, value: Array(key.utf8))
            }
            let all = try await store.range(prefix: "/n/", startKey: nil, limit: nil, revision: nil).items
            #expect(all.map(\.key) == ["/n/a", "/n/a\u{0}", "/n/a\u{0}b", "/n/a\u{1}", "/n/ab"])
            #expect(all.allSatisfy { Array($0.key.utf8) == $0.value })
            let after = try await store.range(prefix: "/n/", startKey: "/n/a\u{0}", limit: 2, revision: nil)
            #expect(after.items.map(\.key) == ["/n/a\u{0}", "/n/a\u{0}b"] && after.more)
            #expect(try await store.get(key: "/n/a\u{0}b", revision: nil)?.value == Array("/n/a\u{0}b".utf8))
            #expect(try await store.range(prefix: "/n/a\u{0}", startKey: nil, limit: nil, revision: nil).items.count == 2)
        }
    }

    @Test func nonASCIIPrefixes() async throws {
        try await withFreshStore { store, _ in
            for key in ["/ü/1", "/ü/2", "/üb", "/u/1", "/v", "/\u{10FFFF}/x", "/\u{10FFFF}\u{10FFFF}"] {
                _ = try await store.create(key: key, value: [])
            }
            func keys(_ prefix: String) async throws -> [String] {
                try await store.range(prefix: prefix, startKey: nil, limit: nil, revision: nil).items.map(\.key)
            }
            #expect(try await keys("/ü/") == ["/ü/1", "/ü/2"])
            #expect(try await keys("/ü") == ["/ü/1", "/ü/2", "/üb"])
            #expect(try await keys("/\u{10FFFF}") == ["/\u{10FFFF}/x", "/\u{10FFFF}\u{10FFFF}"])
            #expect(try await keys("/\u{10FFFF}\u{10FFFF}") == ["/\u{10FFFF}\u{10FFFF}"])
        }
    }

    @Test func rangeOverTenThousandKeysIsFast() async throws {
        try await withFreshStore { store, _ in
            let value = [UInt8](repeating: 0x61, count: 512)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<50 {
                    group.addTask {
                        for i in 0..<200 {
                            _ = try await store.create(key: "/registry/pods/ns/pod-\(t)-\(i)", value: value)
                        }
                    }
                }
                try await group.waitForAll()
            }
            _ = try await store.create(key: "/registry/podsx", value: value)
            var best = Duration.seconds(100)
            for _ in 0..<5 {
                let started = ContinuousClock.now
                let result = try await store.range(prefix: "/registry/pods/", startKey: nil, limit: nil, revision: nil)
                best = min(best, ContinuousClock.now - started)
                #expect(result.items.count == 10_000)
            }
            print("range over 10,000 keys: \(best)")
            #expect(best < .milliseconds(500))
        }
    }
}
