// Compaction: what is discarded, what is kept, how reads and watches at old revisions fail.

extension StoreConformance {
    /// Writes a history with updates, deletes and re-creates on several keys (the comments give
    /// each write's revision relative to `model.base`).
    static func writeHistory(_ store: any Store, _ model: inout Model) async throws {
        try await model.create(store, "/c/a", "a1")        // 1
        try await model.create(store, "/c/b", "b1")        // 2
        try await model.update(store, "/c/a", "a2")        // 3
        try await model.create(store, "/c/gone", "g1")     // 4
        try await model.update(store, "/c/b", "b2")        // 5
        try await model.delete(store, "/c/gone")           // 6
        try await model.create(store, "/c/d", "d1")        // 7
        try await model.delete(store, "/c/d")              // 8
        try await model.create(store, "/c/d", "d2")        // 9
        try await model.update(store, "/c/a", "a3")        // 10
    }

    static let compactionChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck(name: "compact.readsBelowFail") { store in
            var model = try await Model(store)
            try await writeHistory(store, &model)
            try await store.compact(revision: model.rev(6))
            try expectEqual(try await store.compactedRevision(), model.rev(6), "compactedRevision")
            for revision in [1, 3, 5].map(model.rev) {
                let error = try await expectError(.compacted, "get at \(revision)") {
                    try await store.get(key: "/c/a", revision: revision)
                }
                try expectEqual(error, StoreError.compacted(requested: revision, compactedRevision: model.rev(6)), "error payload")
                try await expectError(.compacted, "range at \(revision)") {
                    try await store.range(prefix: "/c/", startKey: nil, limit: nil, revision: revision)
                }
            }
            for revision in model.rev(7)...model.revision {
                try await model.verifyReads(store, at: revision)
            }
            let newest = try await store.range(prefix: "/c/", startKey: nil, limit: nil, revision: nil)
            try expect(newest.items == model.range(prefix: "/c/"), "newest after compaction: \(describe(newest.items))")
        },

        StoreConformanceCheck(name: "compact.keepsLatestOfLiveKeys") { store in
            var model = try await Model(store)
            try await writeHistory(store, &model)
            let before = try await store.range(prefix: "", startKey: nil, limit: nil, revision: nil)
            try await store.compact(revision: model.revision)
            try expectEqual(try await store.compactedRevision(), model.revision, "compactedRevision")
            try expectEqual(try await store.currentRevision(), model.revision, "currentRevision unchanged")
            let after = try await store.range(prefix: "", startKey: nil, limit: nil, revision: nil)
            try expectEqual(after, before, "newest state unchanged by compaction")
            try expect(after.items == model.range(prefix: ""), "newest state: \(describe(after.items))")
            // The newest revision stays readable even when it is the compacted one.
            try await model.verifyReads(store, at: model.revision)
            try expectEqual(try await store.get(key: "/c/gone", revision: nil), nil, "deleted key stays deleted")
            // Kept keys keep working with their revisions.
            let a = try await model.update(store, "/c/a", "a4")
            try expectEqual(a.createRevision, model.rev(1), "createRevision kept through compaction")
            try await model.delete(store, "/c/b")
            let gone = try await model.create(store, "/c/gone", "g2")
            try expectEqual(gone.createRevision, model.revision, "re-created deleted key")
            try await expectError(.keyExists, "create of a kept key") { try await store.create(key: "/c/d", value: []) }
            try await model.verifyReads(store, at: model.revision)
        },

        StoreConformanceCheck(name: "compact.historyAboveIsIntact") { store in
            var model = try await Model(store)
            try await writeHistory(store, &model)
            try await model.update(store, "/c/b", "b3")     // 11
            try await model.delete(store, "/c/a")           // 12
            try await store.compact(revision: model.rev(9))
            for revision in model.rev(10)...model.revision {
                try await model.verifyReads(store, at: revision)
            }
            let watch = await WatchRecorder.start(store.watch(prefix: "/c/", startRevision: model.rev(10)))
            try await watch.expectExactly(model.events(prefix: "/c/", from: model.rev(10)), "events above the compacted revision")
            await watch.stop()
        },

        StoreConformanceCheck(name: "compact.watchBelowFails") { store in
            var model = try await Model(store)
            try await writeHistory(store, &model)
            try await store.compact(revision: model.rev(7))
            for start in [1, 6].map(model.rev) {
                let watch = await WatchRecorder.start(store.watch(prefix: "/c/", startRevision: start))
                let error = try await watch.waitForEnd("watch from compacted revision \(start)")
                guard let storeError = error as? StoreError, storeError.kind == .compacted else {
                    throw fail("watch from \(start): expected StoreError.compacted, got \(error.map { "\($0)" } ?? "a normal end")")
                }
                try expectEqual(await watch.events, [], "events before the failure")
            }
            let watch = await WatchRecorder.start(store.watch(prefix: "/c/", startRevision: model.rev(8)))
            try await model.update(store, "/c/b", "b3")
            try await watch.expectExactly(model.events(prefix: "/c/", from: model.rev(8)), "watch above the compacted revision")
            await watch.stop()
        },

        StoreConformanceCheck(name: "compact.preconditions") { store in
            var model = try await Model(store)
            try await writeHistory(store, &model)
            try await store.compact(revision: model.rev(4))
            try await expectError(.compacted, "compact at the compacted revision") { try await store.compact(revision: model.rev(4)) }
            try await expectError(.compacted, "compact below the compacted revision") { try await store.compact(revision: model.rev(2)) }
            try await expectError(.futureRevision, "compact above the current revision") {
                try await store.compact(revision: model.revision + 1)
            }
            try expectEqual(try await store.compactedRevision(), model.rev(4), "compactedRevision")
            try await store.compact(revision: model.rev(8))
            try expectEqual(try await store.compactedRevision(), model.rev(8), "compactedRevision after a second compaction")
            try await expectError(.compacted, "get below the second compaction") {
                try await store.get(key: "/c/a", revision: model.rev(7))
            }
            try await model.verifyReads(store, at: model.rev(9))
            try await model.verifyReads(store, at: model.rev(10))
        },

        StoreConformanceCheck(name: "compact.writesAfterCompaction") { store in
            var model = try await Model(store)
            try await writeHistory(store, &model)
            try await store.compact(revision: model.revision)
            let start = model.revision + 1
            let watch = await WatchRecorder.start(store.watch(prefix: "/c/", startRevision: start))
            try await model.update(store, "/c/a", "a4")
            try await model.update(store, "/c/d", "d3")
            try await model.delete(store, "/c/b")
            try await model.create(store, "/c/gone", "g2")
            try await watch.expectExactly(model.events(prefix: "/c/", from: start), "events after compaction")
            await watch.stop()
            for revision in start...model.revision {
                try await model.verifyReads(store, at: revision)
            }
        },
    ]
}
