// Range: prefix, ordering, startKey, limit, `more`, historical snapshots.

extension StoreConformance {
    static let rangeChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck(name: "range.prefixInKeyOrder") { store in
            var model = try await Model(store)
            // Inserted in a scrambled order; listed in byte order.
            var keys = (0..<50).map { "/r/key-\(($0 * 37) % 50)" }
            keys += ["/r/Z", "/r/a", "/r/_", "/r/~", "/r/é", "/r/z", "/q/outside", "/s/outside", "/r"]
            for key in keys { try await model.create(store, key, key) }
            let result = try await store.range(prefix: "/r/", startKey: nil, limit: nil, revision: nil)
            let expected = model.range(prefix: "/r/")
            try expectEqual(result.items.count, 56, "number of keys under /r/")
            try expect(result.items == expected, "range /r/: expected \(describe(expected)), got \(describe(result.items))")
            try expectEqual(result.more, false, "more")
            try expectEqual(result.revision, model.revision, "served revision")
            let sorted = result.items.map(\.key)
            try expect(zip(sorted, sorted.dropFirst()).allSatisfy { keyPrecedes($0, $1) }, "keys in byte order: \(sorted)")
        },

        StoreConformanceCheck(name: "range.similarPrefixes") { store in
            var model = try await Model(store)
            for key in ["/a/bc/d", "/a/b", "/a/b0", "/a/bc", "/a/b/c", "/a/c", "/a", "/b", "/a/b/c/d", "/a/a"] {
                try await model.create(store, key, key)
            }
            let cases: [(String, [String])] = [
                ("/a/b/", ["/a/b/c", "/a/b/c/d"]),
                ("/a/b", ["/a/b", "/a/b/c", "/a/b/c/d", "/a/b0", "/a/bc", "/a/bc/d"]),
                ("/a/bc", ["/a/bc", "/a/bc/d"]),
                ("/a/bc/", ["/a/bc/d"]),
                ("/a/", ["/a/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/b0", "/a/bc", "/a/bc/d", "/a/c"]),
                ("/a/b/c/d", ["/a/b/c/d"]),
                ("/a/x", []),
                ("/c", []),
            ]
            for (prefix, expected) in cases {
                let got = try await store.range(prefix: prefix, startKey: nil, limit: nil, revision: nil).items.map(\.key)
                try expectEqual(got, expected, "range \(prefix)")
            }
        },

        StoreConformanceCheck(name: "range.emptyPrefixListsAll") { store in
            var model = try await Model(store)
            for key in ["b", "/x", "a/b", "/", "~"] { try await model.create(store, key, key) }
            let got = try await store.range(prefix: "", startKey: nil, limit: nil, revision: nil)
            try expect(got.items == model.range(prefix: ""), "range \"\": \(describe(got.items))")
            try expectEqual(got.items.map(\.key), ["/", "/x", "a/b", "b", "~"], "keys")
        },

        StoreConformanceCheck(name: "range.startKeyLimitMore") { store in
            var model = try await Model(store)
            for i in [5, 2, 8, 0, 9, 1, 7, 3, 6, 4] { try await model.create(store, "/p/0\(i)", "\(i)") }
            try await model.create(store, "/o/before", "x")
            try await model.create(store, "/q/after", "x")
            func keys(_ start: String?, _ limit: Int?) async throws -> ([String], Bool) {
                let r = try await store.range(prefix: "/p/", startKey: start, limit: limit, revision: nil)
                return (r.items.map(\.key), r.more)
            }
            let all = (0...9).map { "/p/0\($0)" }
            var (got, more) = try await keys(nil, 3)
            try expectEqual(got, ["/p/00", "/p/01", "/p/02"], "limit 3"); try expectEqual(more, true, "more with limit 3")
            (got, more) = try await keys("/p/03", 3)
            try expectEqual(got, ["/p/03", "/p/04", "/p/05"], "startKey /p/03 limit 3"); try expectEqual(more, true, "more")
            (got, more) = try await keys("/p/07", 3)
            try expectEqual(got, ["/p/07", "/p/08", "/p/09"], "limit equal to the rest"); try expectEqual(more, false, "more")
            (got, more) = try await keys("/p/08", 3)
            try expectEqual(got, ["/p/08", "/p/09"], "limit beyond the rest"); try expectEqual(more, false, "more")
            (got, more) = try await keys("/p/035", nil)
            try expectEqual(got, Array(all[4...]), "startKey between keys"); try expectEqual(more, false, "more")
            (got, more) = try await keys(nil, 0)
            try expectEqual(got, all, "limit 0 means all"); try expectEqual(more, false, "more")
            (got, more) = try await keys(nil, 10)
            try expectEqual(got, all, "limit equal to the count"); try expectEqual(more, false, "more")
            (got, more) = try await keys("/a", 2)
            try expectEqual(got, ["/p/00", "/p/01"], "startKey before the prefix"); try expectEqual(more, true, "more")
            (got, more) = try await keys("/p/1", nil)
            try expectEqual(got, [], "startKey after the last key"); try expectEqual(more, false, "more")
            (got, more) = try await keys("/z", 1)
            try expectEqual(got, [], "startKey after the prefix"); try expectEqual(more, false, "more")
            // Pagination: continue after the last key returned.
            var pages: [String] = []
            var start: String? = nil
            var rounds = 0
            repeat {
                (got, more) = try await keys(start, 4)
                pages += got
                start = got.last.map { $0 + "\u{0}" }
                rounds += 1
            } while more && rounds < 10
            try expectEqual(pages, all, "pagination with limit 4")
            try expectEqual(rounds, 3, "pages")
        },

        StoreConformanceCheck(name: "range.excludesDeletedKeys") { store in
            var model = try await Model(store)
            for i in 0..<6 { try await model.create(store, "/d/\(i)", "\(i)") }
            try await model.delete(store, "/d/1")
            try await model.delete(store, "/d/4", checked: false)
            try await model.create(store, "/d/4", "again")
            let r = try await store.range(prefix: "/d/", startKey: nil, limit: nil, revision: nil)
            try expectEqual(r.items.map(\.key), ["/d/0", "/d/2", "/d/3", "/d/4", "/d/5"], "keys")
            try expect(r.items == model.range(prefix: "/d/"), "values: \(describe(r.items))")
            let limited = try await store.range(prefix: "/d/", startKey: "/d/1", limit: 1, revision: nil)
            try expectEqual(limited.items.map(\.key), ["/d/2"], "startKey at a deleted key")
            try expectEqual(limited.more, true, "more")
        },

        StoreConformanceCheck(name: "range.historical") { store in
            var model = try await Model(store)
            for i in 0..<5 { try await model.create(store, "/h/\(i)", "v0") }
            try await model.update(store, "/h/2", "v1")
            try await model.delete(store, "/h/0")
            try await model.create(store, "/h/9", "v0")
            try await model.update(store, "/h/2", "v2")
            try await model.delete(store, "/h/9")
            try await model.create(store, "/h/0", "again")
            for revision in model.writtenRevisions {
                let r = try await store.range(prefix: "/h/", startKey: nil, limit: nil, revision: revision)
                let expected = model.range(prefix: "/h/", at: revision)
                try expect(r.items == expected,
                           "range at \(revision): expected \(describe(expected)), got \(describe(r.items))")
                try expectEqual(r.revision, revision, "served revision")
                let page = try await store.range(prefix: "/h/", startKey: "/h/2", limit: 2, revision: revision)
                let expectedPage = expected.filter { !keyPrecedes($0.key, "/h/2") }
                try expect(page.items == Array(expectedPage.prefix(2)),
                           "page at \(revision): expected \(describe(Array(expectedPage.prefix(2)))), got \(describe(page.items))")
                try expectEqual(page.more, expectedPage.count > 2, "more at \(revision)")
            }
        },

        StoreConformanceCheck(name: "range.paginationAtFixedRevision") { store in
            var model = try await Model(store)
            for i in 0..<8 { try await model.create(store, "/f/\(i)", "v0") }
            let first = try await store.range(prefix: "/f/", startKey: nil, limit: 3, revision: nil)
            let at = first.revision
            try await model.delete(store, "/f/5")
            try await model.create(store, "/f/35", "new")
            try await model.update(store, "/f/6", "v1")
            let second = try await store.range(prefix: "/f/", startKey: first.items.last!.key + "\u{0}", limit: nil, revision: at)
            try expectEqual(second.revision, at, "served revision")
            try expect(first.items + second.items == model.range(prefix: "/f/", at: at),
                       "pages at a fixed revision: \(describe(first.items + second.items))")
        },
    ]
}
