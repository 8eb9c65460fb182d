/// Kubernetes' lists, regex and sets libraries (k8s.io/apiserver/pkg/cel/library).
enum CELKubernetesLists {
    static func add(_ t: inout CELFunctionTable) {
        let comparable: [CELType] = [.int, .uint, .double, .bool, .string, .bytes, .duration, .timestamp]
        let byLen: @Sendable ([CELValue]) -> UInt64 = { a in 1 + celSize(a[0]) }
        let est: @Sendable ([Double]) -> Double = { 1 + $0[0] }
        @Sendable func list(_ v: CELValue, _ name: String) throws(CELEvalError) -> [CELValue] {
            guard case .list(let l) = v else { throw .noSuchOverload(name) }
            return l
        }
        t.add("isSorted", comparable.map { .init("list_\($0)_is_sorted_bool", member: true, [.list($0)], .bool, estimate: est) }, cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let l = try list(a[0], "isSorted")
            for i in l.indices.dropFirst() {
                guard let c = l[i - 1].celCompare(l[i]) else { throw .noSuchOverload("isSorted") }
                if c > 0 { return .bool(false) }
            }
            return .bool(true)
        }
        t.add("sum", [CELType.int, .uint, .double, .duration].map { .init("list_\($0)_sum", member: true, [.list($0)], $0, estimate: est) }, cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let l = try list(a[0], "sum")
            guard var acc = l.first else { return .int(0) }
            let add = CELStandardLibrary.table["_+_"]!.impl
            for v in l.dropFirst() { acc = try add([acc, v]) }
            return acc
        }
        for (name, wantLess) in [("min", true), ("max", false)] {
            t.add(name, comparable.map { .init("list_\($0)_\(name)", member: true, [.list($0)], $0, estimate: est) }, cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
                let l = try list(a[0], name)
                guard var best = l.first else { throw CELEvalError("\(name) called on empty list") }
                for v in l.dropFirst() {
                    guard let c = v.celCompare(best) else { throw .noSuchOverload(name) }
                    if wantLess ? c < 0 : c > 0 { best = v }
                }
                return best
            }
        }
        for (name, last) in [("indexOf", false), ("lastIndexOf", true)] {
            t.add(name, [.init("list_a_\(name)_int", member: true, [.list(tA), tA], .int, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
                let l = try list(a[0], name)
                let idx = last ? l.lastIndex { $0.celEquals(a[1]) } : l.firstIndex { $0.celEquals(a[1]) }
                return .int(Int64(idx ?? -1))
            }
        }
        // regex
        let regexCost: @Sendable ([CELValue]) -> UInt64 = { a in celStringCost(celSize(a[0]) * max(1, celSize(a[1]))) }
        let regexEst: @Sendable ([Double]) -> Double = { 1 + $0[0] * $0[1] / 10 }
        t.add("find", [.init("string_find_string", member: true, [.string, .string], .string, estimate: regexEst)], cost: regexCost) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let s) = a[0], case .string(let p) = a[1] else { throw .noSuchOverload("find") }
            return .string(try CELRegex.compile(p).firstMatch(in: s) ?? "")
        }
        t.add("findAll", [.init("string_find_all_string", member: true, [.string, .string], .list(.string), estimate: regexEst),
                          .init("string_find_all_string_int", member: true, [.string, .string, .int], .list(.string), estimate: regexEst)], cost: regexCost) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let s) = a[0], case .string(let p) = a[1] else { throw .noSuchOverload("findAll") }
            var limit = -1
            if a.count == 3 { guard case .int(let n) = a[2] else { throw .noSuchOverload("findAll") }; limit = Int(clamping: n) }
            if limit == 0 { return .list([]) }
            return .list(try CELRegex.compile(p).allMatches(in: s, limit: limit < 0 ? -1 : limit).map { .string($0) })
        }
        // sets (cel-go ext.Sets, enabled by Kubernetes)
        let setCost: @Sendable ([CELValue]) -> UInt64 = { a in 1 + celSize(a[0]) * celSize(a[1]) }
        let setEst: @Sendable ([Double]) -> Double = { 1 + $0[0] * $0[1] }
        t.add("sets.contains", [.init("list_sets_contains_list", [.list(tA), .list(tA)], .bool, estimate: setEst)], cost: setCost) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let x = try list(a[0], "sets.contains"), y = try list(a[1], "sets.contains")
            return .bool(y.allSatisfy { e in x.contains { $0.celEquals(e) } })
        }
        t.add("sets.equivalent", [.init("list_sets_equivalent_list", [.list(tA), .list(tA)], .bool, estimate: setEst)], cost: setCost) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let x = try list(a[0], "sets.equivalent"), y = try list(a[1], "sets.equivalent")
            return .bool(y.allSatisfy { e in x.contains { $0.celEquals(e) } } && x.allSatisfy { e in y.contains { $0.celEquals(e) } })
        }
        t.add("sets.intersects", [.init("list_sets_intersects_list", [.list(tA), .list(tA)], .bool, estimate: setEst)], cost: setCost) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let x = try list(a[0], "sets.intersects"), y = try list(a[1], "sets.intersects")
            return .bool(y.contains { e in x.contains { $0.celEquals(e) } })
        }
    }
}
