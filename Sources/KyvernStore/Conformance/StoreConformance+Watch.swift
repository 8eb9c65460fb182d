// Watch: replay with previous values, live events, prefix filtering, the hand-over between them.

extension StoreConformance {
    static let watchChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck(name: "watch.replaysHistoryWithPrevious") { store in
            var model = try await Model(store)
            try await model.create(store, "/w/a", "a1")
            try await model.create(store, "/other/x", "x1")
            try await model.update(store, "/w/a", "a2")
            try await model.create(store, "/w/b", "b1")
            try await model.delete(store, "/w/a")
            try await model.update(store, "/other/x", "x2")
            try await model.create(store, "/w/a", "a3")
            try await model.delete(store, "/w/b", checked: false)
            for start in [1, 3, 4, 5, 8].map(model.rev) {
                let watch = await WatchRecorder.start(store.watch(prefix: "/w/", startRevision: start))
                try await watch.expectExactly(model.events(prefix: "/w/", from: start), "replay from \(start)")
                await watch.stop()
            }
            let all = await WatchRecorder.start(store.watch(prefix: "", startRevision: model.rev(1)))
            try await all.expectExactly(model.events, "replay of everything")
            await all.stop()
        },

        StoreConformanceCheck(name: "watch.deleteEventCarriesPrevious") { store in
            var model = try await Model(store)
            try await model.create(store, "/k", "v1")
            let v2 = try await model.update(store, "/k", "v2")
            let deleted = try await model.delete(store, "/k")
            let watch = await WatchRecorder.start(store.watch(prefix: "/k", startRevision: deleted))
            let events = try await watch.waitForEvents(1, "delete event")
            let event = events[0]
            try expectEqual(event.kind, .delete, "kind")
            try expectEqual(event.kv.key, "/k", "key")
            try expectEqual(event.kv.modRevision, deleted, "modRevision of a delete event")
            try expectEqual(event.kv.value, [], "value of a delete event")
            try expectEqual(event.revision, deleted, "revision")
            try expectEqual(event.previous, v2, "previous of a delete event")
            await watch.stop()
        },

        StoreConformanceCheck(name: "watch.replayThenLive") { store in
            var model = try await Model(store)
            try await model.create(store, "/w/a", "a1")
            try await model.create(store, "/w/b", "b1")
            try await model.update(store, "/w/a", "a2")
            let watch = await WatchRecorder.start(store.watch(prefix: "/w/", startRevision: model.rev(2)))
            _ = try await watch.waitForEvents(2, "replayed events")
            try await model.update(store, "/w/b", "b2")
            try await model.create(store, "/x/ignored", "x")
            try await model.delete(store, "/w/a")
            try await model.create(store, "/w/c", "c1")
            try await model.create(store, "/w/a", "a3")
            try await watch.expectExactly(model.events(prefix: "/w/", from: model.rev(2)), "replayed then live events")
            await watch.stop()
        },

        StoreConformanceCheck(name: "watch.liveOnly") { store in
            var model = try await Model(store)
            try await model.create(store, "/w/old", "o")
            let start = model.revision + 1
            let watch = await WatchRecorder.start(store.watch(prefix: "/w/", startRevision: start))
            try await model.create(store, "/w/a", "a1")
            try await model.update(store, "/w/old", "o2")
            try await model.delete(store, "/w/a")
            try await watch.expectExactly(model.events(prefix: "/w/", from: start), "live events")
            await watch.stop()
        },

        StoreConformanceCheck(name: "watch.prefixFilter") { store in
            var model = try await Model(store)
            let narrow = await WatchRecorder.start(store.watch(prefix: "/a/b/", startRevision: model.rev(1)))
            let wide = await WatchRecorder.start(store.watch(prefix: "/a/b", startRevision: model.rev(1)))
            for key in ["/a/b", "/a/b/c", "/a/bc", "/a/bc/d", "/a/b/e", "/a/c", "/b/a/b/"] {
                try await model.create(store, key, key)
            }
            try await model.update(store, "/a/bc", "changed")
            try await model.update(store, "/a/b/c", "changed")
            try await narrow.expectExactly(model.events(prefix: "/a/b/", from: model.rev(1)), "watch /a/b/")
            try await wide.expectExactly(model.events(prefix: "/a/b", from: model.rev(1)), "watch /a/b")
            await narrow.stop()
            await wide.stop()
        },

        StoreConformanceCheck(name: "watch.futureStartRevision") { store in
            var model = try await Model(store)
            try await model.create(store, "/w/a", "1")
            let start = model.revision + 3
            let watch = await WatchRecorder.start(store.watch(prefix: "/w/", startRevision: start))
            for i in 0..<5 { try await model.create(store, "/w/k\(i)", "\(i)") }
            try await watch.expectExactly(model.events(prefix: "/w/", from: start), "events from a future revision")
            await watch.stop()
        },

        StoreConformanceCheck(name: "watch.startRevisionZeroMeansNow") { store in
            var model = try await Model(store)
            try await model.create(store, "/w/a", "1")
            try await model.update(store, "/w/a", "2")
            let watch = await WatchRecorder.start(store.watch(prefix: "/w/", startRevision: 0))
            // Let the watch be established before writing; 0 means "from the next revision".
            try await Task.sleep(for: .milliseconds(100))
            try await model.create(store, "/w/b", "1")
            try await watch.expectExactly(model.events(prefix: "/w/", from: model.rev(3)), "watch from 0")
            await watch.stop()
        },

        StoreConformanceCheck(name: "watch.handOverUnderConcurrentWrites") { store in
            // Watches started at different moments while a writer runs must each see every
            // revision from their start exactly once and in order.
            let writes = 300
            let base = try await store.currentRevision()
            let writer = Task {
                for i in 0..<writes {
                    let key = "/hand/\(i % 17)"
                    do {
                        _ = try await store.create(key: key, value: bytes("\(i)"))
                    } catch StoreError.keyExists {
                        _ = try await store.delete(key: key, expectedRevision: nil)
                    }
                }
            }
            var watches: [(Int64, WatchRecorder)] = []
            for _ in 0..<6 {
                let start = base + (try await store.currentRevision() - base) / 2 + 1
                watches.append((start, await WatchRecorder.start(store.watch(prefix: "/hand/", startRevision: start))))
                try await Task.sleep(for: .milliseconds(15))
            }
            try await withDeadline("writer") { try await writer.value }
            let end = try await store.currentRevision()
            try expectEqual(end, base + Int64(writes), "revision after the writes")
            for (start, watch) in watches {
                let events = try await watch.waitForEvents(Int(end - start + 1), "watch from \(start)")
                try await Task.sleep(for: .milliseconds(50))
                let revisions = await watch.events.map(\.revision)
                try expectEqual(revisions, Array(start...end), "revisions seen by the watch from \(start)")
                _ = events
                await watch.stop()
            }
            // The events agree with the store's history.
            let full = await WatchRecorder.start(store.watch(prefix: "/hand/", startRevision: base + 1))
            let events = try await full.waitForEvents(writes, "full replay")
            var state: [String: KeyValue] = [:]
            for event in events {
                try expectEqual(event.previous, state[event.kv.key], "previous of \(event.kv.key)@\(event.revision)")
                state[event.kv.key] = event.kind == .put ? event.kv : nil
            }
            await full.stop()
        },

        StoreConformanceCheck(name: "watch.slowWatcherDoesNotBlockWriters") { store in
            // A watch nobody consumes must not hold writes back.
            let base = try await store.currentRevision()
            let stream = store.watch(prefix: "/", startRevision: base + 1)
            let value = [UInt8](repeating: 7, count: 4096)
            try await withDeadline("200 writes with an unconsumed watch") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for t in 0..<8 {
                        group.addTask {
                            for i in 0..<25 { _ = try await store.create(key: "/slow/\(t)/\(i)", value: value) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // The events are all there once the consumer starts reading.
            let watch = await WatchRecorder.start(stream)
            let events = try await watch.waitForEvents(200, "buffered events")
            try expectEqual(events.map(\.revision), Array((base + 1)...(base + 200)), "revisions")
            await watch.stop()
        },

        StoreConformanceCheck(name: "watch.endsWhenConsumerCancelled") { store in
            let base = try await store.currentRevision()
            let watch = await WatchRecorder.start(store.watch(prefix: "/", startRevision: base + 1))
            _ = try await store.create(key: "/c", value: [1])
            _ = try await watch.waitForEvents(1, "first event")
            await watch.stop()
            guard let consumer = await watch.consumer else { throw fail("no consumer task") }
            try await withDeadline("end of a cancelled watch") { await consumer.value }
            // The store still works and new watches still get events.
            _ = try await store.create(key: "/d", value: [1])
            let again = await WatchRecorder.start(store.watch(prefix: "/", startRevision: base + 1))
            _ = try await again.waitForEvents(2, "a new watch after a cancelled one")
            await again.stop()
        },
    ]
}
