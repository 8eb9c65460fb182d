// Revisions, create/update/delete preconditions, values and historical reads.

extension StoreConformance {
    static let basicChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck(name: "revision.startsAtZero") { store in
            // A fresh store of every backend is empty; its revision is 0 by the contract.
            try expectEqual(try await store.currentRevision(), 0, "currentRevision of an empty store")
            try expectEqual(try await store.compactedRevision(), 0, "compactedRevision of an empty store")
            try expectEqual(try await store.get(key: "/x", revision: nil), nil, "get on an empty store")
            let result = try await store.range(prefix: "", startKey: nil, limit: nil, revision: nil)
            try expectEqual(result, RangeResult(items: [], more: false, revision: 0), "range on an empty store")
        },

        StoreConformanceCheck(name: "revision.incrementsByOnePerWrite") { store in
            var model = try await Model(store)
            let a = try await model.create(store, "/a", "1")
            try expectEqual(try await store.currentRevision(), model.rev(1), "after create")
            try await model.update(store, "/a", "2")
            try expectEqual(try await store.currentRevision(), model.rev(2), "after update")
            try await model.create(store, "/b", "1")
            try expectEqual(try await store.currentRevision(), model.rev(3), "after second create")
            try await model.delete(store, "/b")
            try expectEqual(try await store.currentRevision(), model.rev(4), "after delete")
            // Failed writes do not consume a revision.
            try await expectError(.keyExists, "create existing") { try await store.create(key: "/a", value: []) }
            try await expectError(.conflict, "stale update") {
                try await store.update(key: "/a", value: [], expectedRevision: a.modRevision)
            }
            try await expectError(.notFound, "delete absent") { try await store.delete(key: "/b", expectedRevision: nil) }
            try await expectError(.notFound, "update absent") {
                try await store.update(key: "/zz", value: [], expectedRevision: model.rev(1))
            }
            try expectEqual(try await store.currentRevision(), model.rev(4), "after failed writes")
            try await model.create(store, "/c", "1")
            try expectEqual(try await store.currentRevision(), model.rev(5), "a write after failed writes")
        },

        StoreConformanceCheck(name: "create.returnsNewKeyValue") { store in
            var model = try await Model(store)
            try await model.create(store, "/x", "one")
            let kv = try await model.create(store, "/y", "two")
            try expectEqual(kv.createRevision, kv.modRevision, "createRevision == modRevision")
            try expectEqual(try await store.get(key: "/y", revision: nil), kv, "get after create")
        },

        StoreConformanceCheck(name: "create.keyExists") { store in
            var model = try await Model(store)
            let kv = try await model.create(store, "/k", "first")
            let error = try await expectError(.keyExists, "second create") {
                try await store.create(key: "/k", value: bytes("second"))
            }
            try expectEqual(error, StoreError.keyExists(key: "/k"), "error payload")
            try expectEqual(try await store.get(key: "/k", revision: nil), kv, "value after a failed create")
        },

        StoreConformanceCheck(name: "update.atExpectedRevision") { store in
            var model = try await Model(store)
            let created = try await model.create(store, "/k", "v1")
            try await model.create(store, "/other", "x")
            let updated = try await model.update(store, "/k", "v2")
            try expectEqual(updated.createRevision, created.createRevision, "createRevision kept")
            try expectEqual(updated.modRevision, model.rev(3), "modRevision is the new revision")
            try expectEqual(try await store.get(key: "/k", revision: nil), updated, "get after update")
            let again = try await model.update(store, "/k", "v3")
            try expectEqual(try await store.get(key: "/k", revision: nil), again, "get after second update")
        },

        StoreConformanceCheck(name: "update.conflictCarriesCurrent") { store in
            var model = try await Model(store)
            let v1 = try await model.create(store, "/k", "v1")
            let v2 = try await model.update(store, "/k", "v2")
            let error = try await expectError(.conflict, "update at a stale revision") {
                try await store.update(key: "/k", value: bytes("v3"), expectedRevision: v1.modRevision)
            }
            try expectEqual(error, StoreError.conflict(key: "/k", current: v2), "conflict payload")
            try await expectError(.conflict, "update at a future revision") {
                try await store.update(key: "/k", value: bytes("v3"), expectedRevision: v2.modRevision + 10)
            }
            try expectEqual(try await store.get(key: "/k", revision: nil), v2, "value after failed updates")
        },

        StoreConformanceCheck(name: "update.notFound") { store in
            var model = try await Model(store)
            let error = try await expectError(.notFound, "update of an absent key") {
                try await store.update(key: "/none", value: [1], expectedRevision: 0)
            }
            try expectEqual(error, StoreError.notFound(key: "/none"), "error payload")
            let kv = try await model.create(store, "/k", "v")
            try await model.delete(store, "/k")
            try await expectError(.notFound, "update of a deleted key") {
                try await store.update(key: "/k", value: [1], expectedRevision: kv.modRevision)
            }
        },

        StoreConformanceCheck(name: "delete.returnsPrevious") { store in
            var model = try await Model(store)
            try await model.create(store, "/k", "v1")
            let v2 = try await model.update(store, "/k", "v2")
            let result = try await store.delete(key: "/k", expectedRevision: nil)
            try expectEqual(result.revision, model.rev(3), "delete revision")
            try expectEqual(result.previous, v2, "previous key-value")
            try expectEqual(try await store.get(key: "/k", revision: nil), nil, "get after delete")
            try expectEqual(try await store.currentRevision(), model.rev(3), "currentRevision after delete")
        },

        StoreConformanceCheck(name: "delete.atExpectedRevision") { store in
            var model = try await Model(store)
            let v1 = try await model.create(store, "/k", "v1")
            let v2 = try await model.update(store, "/k", "v2")
            let error = try await expectError(.conflict, "delete at a stale revision") {
                try await store.delete(key: "/k", expectedRevision: v1.modRevision)
            }
            try expectEqual(error, StoreError.conflict(key: "/k", current: v2), "conflict payload")
            try expectEqual(try await store.get(key: "/k", revision: nil), v2, "value after a failed delete")
            try await model.delete(store, "/k", checked: true)
        },

        StoreConformanceCheck(name: "delete.notFound") { store in
            var model = try await Model(store)
            let error = try await expectError(.notFound, "delete of an absent key") {
                try await store.delete(key: "/none", expectedRevision: nil)
            }
            try expectEqual(error, StoreError.notFound(key: "/none"), "error payload")
            let kv = try await model.create(store, "/k", "v")
            try await model.delete(store, "/k")
            try await expectError(.notFound, "second delete") { try await store.delete(key: "/k", expectedRevision: nil) }
            try await expectError(.notFound, "second delete at the old revision") {
                try await store.delete(key: "/k", expectedRevision: kv.modRevision)
            }
        },

        StoreConformanceCheck(name: "create.afterDeleteGetsNewCreateRevision") { store in
            var model = try await Model(store)
            let first = try await model.create(store, "/k", "first")
            try await model.update(store, "/k", "first-b")
            try await model.delete(store, "/k")
            let second = try await model.create(store, "/k", "second")
            try expect(second.createRevision > first.createRevision, "a re-created key gets a new createRevision")
            try expectEqual(second.createRevision, model.rev(4), "createRevision of the re-created key")
            let third = try await model.update(store, "/k", "second-b")
            try expectEqual(third.createRevision, second.createRevision, "update keeps the new createRevision")
            try expectEqual(try await store.get(key: "/k", revision: nil), third, "get after re-create")
        },

        StoreConformanceCheck(name: "values.roundTrip") { store in
            var model = try await Model(store)
            let all = (0...255).map { UInt8($0) }
            let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let cases: [(String, [UInt8])] = [
                ("/empty", []),
                ("/zero", [0]),
                ("/all-bytes", all),
                ("/large", large),
                ("/with space/ünïcödé/日本", bytes("{\"kind\":\"Pod\"}")),
            ]
            for (key, value) in cases {
                try await model.create(store, key, value)
            }
            for (key, value) in cases {
                try expectEqual(try await store.get(key: key, revision: nil)?.value, value, "value of \(key)")
            }
            let listed = try await store.range(prefix: "/", startKey: nil, limit: nil, revision: nil).items
            try expect(listed == model.range(prefix: "/"), "range of unusual values: \(describe(listed))")
            let updated = try await store.update(key: "/large", value: [], expectedRevision: model.rev(4))
            try expectEqual(updated.value, [], "value updated to empty")
            try expectEqual(try await store.get(key: "/large", revision: nil)?.value, [], "empty value read back")
            try expectEqual(try await store.get(key: "/large", revision: model.rev(4))?.value, large, "old large value read back")
        },

        StoreConformanceCheck(name: "get.historical") { store in
            var model = try await Model(store)
            try await model.create(store, "/a", "a1")
            try await model.create(store, "/b", "b1")
            try await model.update(store, "/a", "a2")
            try await model.delete(store, "/b")
            try await model.update(store, "/a", "a3")
            try await model.create(store, "/b", "b2")
            try await model.delete(store, "/a", checked: false)
            try await model.create(store, "/c", "c1")
            for revision in model.writtenRevisions {
                try await model.verifyReads(store, at: revision)
            }
            try expectEqual(try await store.get(key: "/a", revision: model.rev(1))?.value, bytes("a1"), "get /a at 1")
            try expectEqual(try await store.get(key: "/a", revision: model.rev(4))?.value, bytes("a2"), "get /a at 4")
            try expectEqual(try await store.get(key: "/b", revision: model.rev(5)), nil, "get /b between delete and re-create")
            try expectEqual(try await store.get(key: "/c", revision: model.rev(7)), nil, "get /c before its creation")
        },

        StoreConformanceCheck(name: "reads.futureRevision") { store in
            var model = try await Model(store)
            try await model.create(store, "/a", "1")
            try await model.create(store, "/b", "1")
            let error = try await expectError(.futureRevision, "get above the current revision") {
                try await store.get(key: "/a", revision: model.rev(3))
            }
            try expectEqual(error, StoreError.futureRevision(requested: model.rev(3), current: model.rev(2)), "error payload")
            try await expectError(.futureRevision, "range above the current revision") {
                try await store.range(prefix: "", startKey: nil, limit: nil, revision: model.rev(100))
            }
            try await model.verifyReads(store, at: model.rev(2))
        },
    ]
}
