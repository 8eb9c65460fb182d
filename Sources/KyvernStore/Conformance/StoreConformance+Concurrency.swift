// Concurrent writers and the end of a store's life.

extension StoreConformance {
    static let concurrencyChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck(name: "concurrency.createsGetDistinctConsecutiveRevisions") { store in
            let tasks = 64, perTask = 4
            let base = try await store.currentRevision()
            let results = try await withDeadline("concurrent creates") {
                try await withThrowingTaskGroup(of: [KeyValue].self) { group in
                    for t in 0..<tasks {
                        group.addTask {
                            var created: [KeyValue] = []
                            for i in 0..<perTask {
                                created.append(try await store.create(key: "/cc/\(t)/\(i)", value: bytes("\(t).\(i)")))
                            }
                            return created
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            let total = tasks * perTask
            try expectEqual(results.count, total, "number of creates")
            try expectEqual(results.map(\.modRevision).sorted(), Array((base + 1)...(base + Int64(total))), "revisions of the creates")
            try expectEqual(try await store.currentRevision(), base + Int64(total), "currentRevision")
            for kv in results {
                try expectEqual(kv.createRevision, kv.modRevision, "createRevision of \(kv.key)")
                try expectEqual(try await store.get(key: kv.key, revision: nil), kv, "get \(kv.key)")
                try expectEqual(try await store.get(key: kv.key, revision: kv.modRevision), kv, "get \(kv.key) at its revision")
            }
            let listed = try await store.range(prefix: "/cc/", startKey: nil, limit: nil, revision: nil)
            try expectEqual(listed.items, results.sorted { keyPrecedes($0.key, $1.key) }, "range after concurrent creates")
        },

        StoreConformanceCheck(name: "concurrency.sameKeyCreateHasOneWinner") { store in
            let base = try await store.currentRevision()
            let outcomes = try await withDeadline("concurrent creates of one key") {
                await withTaskGroup(of: Result<KeyValue, StoreError>.self) { group in
                    for t in 0..<32 {
                        group.addTask {
                            do { return .success(try await store.create(key: "/one", value: bytes("\(t)"))) }
                            catch let error as StoreError { return .failure(error) }
                            catch { return .failure(.backend("\(error)")) }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            try expectEqual(winners.count, 1, "successful creates")
            for case .failure(let error) in outcomes {
                try expectEqual(error, StoreError.keyExists(key: "/one"), "losers' error")
            }
            try expectEqual(try await store.currentRevision(), base + 1, "currentRevision")
            try expectEqual(try await store.get(key: "/one", revision: nil), winners.first, "the winner's value")
        },

        StoreConformanceCheck(name: "concurrency.compareAndSwapCounter") { store in
            let counter = try await store.create(key: "/counter", value: bytes("0"))
            let tasks = 12, increments = 8
            let conflicts = try await withDeadline("concurrent read-modify-write") {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            var conflicts = 0
                            for _ in 0..<increments {
                                while true {
                                    guard let kv = try await store.get(key: "/counter", revision: nil),
                                          let n = Int(String(decoding: kv.value, as: UTF8.self)) else {
                                        throw fail("counter unreadable")
                                    }
                                    do {
                                        _ = try await store.update(key: "/counter", value: bytes("\(n + 1)"),
                                                                   expectedRevision: kv.modRevision)
                                        break
                                    } catch StoreError.conflict {
                                        conflicts += 1
                                    }
                                }
                            }
                            return conflicts
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            let final = try await store.get(key: "/counter", revision: nil)
            try expectEqual(final?.value, bytes("\(tasks * increments)"), "counter after \(tasks * increments) increments (\(conflicts) conflicts)")
            try expectEqual(final?.createRevision, counter.createRevision, "createRevision of the counter")
            try expectEqual(try await store.currentRevision(), counter.modRevision + Int64(tasks * increments), "currentRevision")
        },

        StoreConformanceCheck(name: "concurrency.failuresDoNotAffectOthers") { store in
            let base = try await store.currentRevision()
            for i in 0..<20 { _ = try await store.create(key: "/m/existing-\(i)", value: [1]) }
            let outcomes = try await withDeadline("mixed concurrent writes") {
                await withTaskGroup(of: (String, Result<Int64, StoreError>).self) { group in
                    for i in 0..<40 {
                        let key = i.isMultiple(of: 2) ? "/m/existing-\(i / 2)" : "/m/new-\(i)"
                        group.addTask {
                            do { return (key, .success(try await store.create(key: key, value: [2]).modRevision)) }
                            catch let error as StoreError { return (key, .failure(error)) }
                            catch { return (key, .failure(.backend("\(error)"))) }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            }
            var revisions: [Int64] = []
            for (key, outcome) in outcomes {
                switch outcome {
                case .success(let revision):
                    try expect(key.hasPrefix("/m/new-"), "create of existing \(key) succeeded")
                    revisions.append(revision)
                case .failure(let error):
                    try expectEqual(error, StoreError.keyExists(key: key), "error of \(key)")
                }
            }
            try expectEqual(revisions.sorted(), Array((base + 21)...(base + 40)), "revisions of the successful creates")
            try expectEqual(try await store.currentRevision(), base + 40, "currentRevision")
        },
    ]

    static let lifecycleChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck(name: "close.furtherCallsFail") { store in
            let kv = try await store.create(key: "/k", value: [1])
            try await store.close()
            try await expectError(.closed, "currentRevision after close") { try await store.currentRevision() }
            try await expectError(.closed, "create after close") { try await store.create(key: "/j", value: []) }
            try await expectError(.closed, "update after close") {
                try await store.update(key: "/k", value: [], expectedRevision: kv.modRevision)
            }
            try await expectError(.closed, "delete after close") { try await store.delete(key: "/k", expectedRevision: nil) }
            try await expectError(.closed, "get after close") { try await store.get(key: "/k", revision: nil) }
            try await expectError(.closed, "range after close") {
                try await store.range(prefix: "", startKey: nil, limit: nil, revision: nil)
            }
            try await expectError(.closed, "compact after close") { try await store.compact(revision: kv.modRevision) }
            let watch = await WatchRecorder.start(store.watch(prefix: "/", startRevision: kv.modRevision))
            let error = try await watch.waitForEnd("watch after close")
            try expect(error != nil, "a watch after close must fail")
        },

        StoreConformanceCheck(name: "close.endsActiveWatches") { store in
            let base = try await store.currentRevision()
            let watch = await WatchRecorder.start(store.watch(prefix: "/", startRevision: base + 1))
            _ = try await store.create(key: "/k", value: [1])
            _ = try await watch.waitForEvents(1, "event before close")
            try await store.close()
            _ = try await watch.waitForEnd("active watch on close")
        },
    ]
}
