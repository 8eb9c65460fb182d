let tA = CELType.param("A"), tB = CELType.param("B")

extension CELStandardLibrary {
    static func addOperators(_ t: inout CELFunctionTable) {
        t.add("_+_", [
            .init("add_int64", [.int, .int], .int), .init("add_uint64", [.uint, .uint], .uint),
            .init("add_double", [.double, .double], .double),
            .init("add_string", [.string, .string], .string, estimate: { 1 + ($0[0] + $0[1]) / 10 }),
            .init("add_bytes", [.bytes, .bytes], .bytes, estimate: { 1 + ($0[0] + $0[1]) / 10 }),
            .init("add_list", [.list(tA), .list(tA)], .list(tA), estimate: { 1 + ($0[0] + $0[1]) / 10 }),
            .init("add_timestamp_duration", [.timestamp, .duration], .timestamp),
            .init("add_duration_timestamp", [.duration, .timestamp], .timestamp),
            .init("add_duration_duration", [.duration, .duration], .duration),
        ], cost: { a in a.count == 2 && a[0].isSized ? celStringCost(celSize(a[0]) + celSize(a[1])) : 1 }) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch (a[0], a[1]) {
            case (.int(let x), .int(let y)):
                let (r, o) = x.addingReportingOverflow(y); if o { throw .overflow }; return .int(r)
            case (.uint(let x), .uint(let y)):
                let (r, o) = x.addingReportingOverflow(y); if o { throw .uintOverflow }; return .uint(r)
            case (.double(let x), .double(let y)): return .double(x + y)
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.bytes(let x), .bytes(let y)): return .bytes(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.timestamp(let s, let n), .duration(let d)), (.duration(let d), .timestamp(let s, let n)):
                return try CELTime.timestamp(s, n, plus: d)
            case (.duration(let x), .duration(let y)):
                let (r, o) = x.addingReportingOverflow(y); if o { throw .overflow }; return .duration(r)
            default: throw .noSuchOverload("_+_")
            }
        }
        t.add("_-_", [
            .init("subtract_int64", [.int, .int], .int), .init("subtract_uint64", [.uint, .uint], .uint),
            .init("subtract_double", [.double, .double], .double),
            .init("subtract_timestamp_timestamp", [.timestamp, .timestamp], .duration),
            .init("subtract_timestamp_duration", [.timestamp, .duration], .timestamp),
            .init("subtract_duration_duration", [.duration, .duration], .duration),
        ]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch (a[0], a[1]) {
            case (.int(let x), .int(let y)):
                let (r, o) = x.subtractingReportingOverflow(y); if o { throw .overflow }; return .int(r)
            case (.uint(let x), .uint(let y)):
                let (r, o) = x.subtractingReportingOverflow(y); if o { throw .uintOverflow }; return .uint(r)
            case (.double(let x), .double(let y)): return .double(x - y)
            case (.timestamp(let s1, let n1), .timestamp(let s2, let n2)):
                let secs = s1 - s2
                let (m, o1) = secs.multipliedReportingOverflow(by: 1_000_000_000)
                let (r, o2) = m.addingReportingOverflow(Int64(n1) - Int64(n2))
                if o1 || o2 { throw .overflow }
                return .duration(r)
            case (.timestamp(let s, let n), .duration(let d)):
                if d == Int64.min { throw .overflow }
                return try CELTime.timestamp(s, n, plus: -d)
            case (.duration(let x), .duration(let y)):
                let (r, o) = x.subtractingReportingOverflow(y); if o { throw .overflow }; return .duration(r)
            default: throw .noSuchOverload("_-_")
            }
        }
        t.add("_*_", [.init("multiply_int64", [.int, .int], .int), .init("multiply_uint64", [.uint, .uint], .uint),
                      .init("multiply_double", [.double, .double], .double)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch (a[0], a[1]) {
            case (.int(let x), .int(let y)):
                let (r, o) = x.multipliedReportingOverflow(by: y); if o { throw .overflow }; return .int(r)
            case (.uint(let x), .uint(let y)):
                let (r, o) = x.multipliedReportingOverflow(by: y); if o { throw .uintOverflow }; return .uint(r)
            case (.double(let x), .double(let y)): return .double(x * y)
            default: throw .noSuchOverload("_*_")
            }
        }
        t.add("_/_", [.init("divide_int64", [.int, .int], .int), .init("divide_uint64", [.uint, .uint], .uint),
                      .init("divide_double", [.double, .double], .double)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch (a[0], a[1]) {
            case (.int(let x), .int(let y)):
                if y == 0 { throw .divisionByZero }
                let (r, o) = x.dividedReportingOverflow(by: y); if o { throw .overflow }; return .int(r)
            case (.uint(let x), .uint(let y)):
                if y == 0 { throw .divisionByZero }
                return .uint(x / y)
            case (.double(let x), .double(let y)): return .double(x / y)
            default: throw .noSuchOverload("_/_")
            }
        }
        t.add("_%_", [.init("modulo_int64", [.int, .int], .int), .init("modulo_uint64", [.uint, .uint], .uint)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch (a[0], a[1]) {
            case (.int(let x), .int(let y)):
                if y == 0 { throw .moduloByZero }
                let (r, o) = x.remainderReportingOverflow(dividingBy: y); if o { throw .overflow }; return .int(r)
            case (.uint(let x), .uint(let y)):
                if y == 0 { throw .moduloByZero }
                return .uint(x % y)
            default: throw .noSuchOverload("_%_")
            }
        }
        t.add("-_", [.init("negate_int64", [.int], .int), .init("negate_double", [.double], .double)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .int(let x): if x == .min { throw .overflow }; return .int(-x)
            case .double(let x): return .double(-x)
            default: throw .noSuchOverload("-_")
            }
        }
        t.add("!_", [.init("logical_not", [.bool], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .bool(let b) = a[0] else { throw .noSuchOverload("!_") }
            return .bool(!b)
        }
        t.add("_&&_", [.init("logical_and", [.bool, .bool], .bool)]) { _ throws(CELEvalError) in .null }
        t.add("_||_", [.init("logical_or", [.bool, .bool], .bool)]) { _ throws(CELEvalError) in .null }
        t.add("_?_:_", [.init("conditional", [.bool, tA, tA], tA)]) { _ throws(CELEvalError) in .null }
        t.add("@not_strictly_false", [.init("not_strictly_false", [.bool], .bool)]) { _ throws(CELEvalError) in .null }
        t.add("_==_", [.init("equals", [tA, tA], .bool)], cost: { a in a[0].isSized ? celStringCost(min(celSize(a[0]), celSize(a[1]))) : 1 }) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .bool(a[0].celEquals(a[1]))
        }
        t.add("_!=_", [.init("not_equals", [tA, tA], .bool)], cost: { a in a[0].isSized ? celStringCost(min(celSize(a[0]), celSize(a[1]))) : 1 }) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .bool(!a[0].celEquals(a[1]))
        }
        let numeric: [CELType] = [.int, .uint, .double]
        let comparisons: [(String, String, @Sendable (Int) -> Bool)] = [("_<_", "less", { $0 < 0 }), ("_<=_", "less_equals", { $0 <= 0 }),
                                 ("_>_", "greater", { $0 > 0 }), ("_>=_", "greater_equals", { $0 >= 0 })]
        for (op, name, test) in comparisons {
            var ovs: [CELOverload] = []
            for x in numeric { for y in numeric { ovs.append(.init("\(name)_\(x)_\(y)", [x, y], .bool)) } }
            for x: CELType in [.string, .bytes, .bool, .timestamp, .duration] { ovs.append(.init("\(name)_\(x)", [x, x], .bool)) }
            t.add(op, ovs) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
                if case .double(let d) = a[0], d.isNaN { return .bool(false) }
                if case .double(let d) = a[1], d.isNaN { return .bool(false) }
                guard let c = a[0].celCompare(a[1]) else { throw .noSuchOverload(op) }
                return .bool(test(c))
            }
        }
        t.add("@in", [.init("in_list", [tA, .list(tA)], .bool), .init("in_map", [tA, .map(tA, tB)], .bool)],
              cost: { a in a.count == 2 ? celSize(a[1]) : 1 }) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[1] {
            case .list(let l): return .bool(l.contains { $0.celEquals(a[0]) })
            case .map(let m): return .bool(m.contains(a[0]))
            default: throw .noSuchOverload("@in")
            }
        }
        t.add("_[_]", [.init("index_list", [.list(tA), .int], tA), .init("index_map", [.map(tA, tB), tA], tB),
                       .init("optional_list_index_chain", [.optional(.list(tA)), .int], .optional(tA)),
                       .init("optional_map_index_chain", [.optional(.map(tA, tB)), tA], .optional(tB)),
                       .init("optional_dyn_index_chain", [.optional(.dyn), .dyn], .optional(.dyn))]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            try index(a[0], a[1])
        }
        t.add("_[?_]", [.init("optional_list_index", [.list(tA), .int], .optional(tA)),
                        .init("optional_map_index", [.map(tA, tB), tA], .optional(tB)),
                        .init("optional_list_optindex_chain", [.optional(.list(tA)), .int], .optional(tA)),
                        .init("optional_map_optindex_chain", [.optional(.map(tA, tB)), tA], .optional(tB)),
                        .init("optional_dyn_optindex_chain", [.optional(.dyn), .dyn], .optional(.dyn))]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            var base = a[0]
            if case .optional(let inner) = base {
                guard let inner else { return .optional(nil) }
                base = inner
            }
            switch base {
            case .list(let l):
                guard let i = listIndex(a[1]) else { throw .noSuchOverload("_[?_]") }
                return .optional(i >= 0 && i < l.count ? l[i] : nil)
            case .map(let m): return .optional(m[a[1]])
            default: throw .noSuchOverload("_[?_]")
            }
        }
    }

    static func listIndex(_ v: CELValue) -> Int? {
        switch v {
        case .int(let i): return Int(i)
        case .uint(let u): return u <= UInt64(Int.max) ? Int(u) : Int.max
        case .double(let d): return d.rounded() == d && abs(d) < 9e18 ? Int(d) : nil
        default: return nil
        }
    }

    static func index(_ base: CELValue, _ key: CELValue) throws(CELEvalError) -> CELValue {
        switch base {
        case .list(let l):
            guard let i = listIndex(key) else {
                if case .double = key { throw CELEvalError("unsupported index value") }
                throw .noSuchOverload("_[_]")
            }
            guard i >= 0, i < l.count else { throw CELEvalError("index out of bounds: \(i)") }
            return l[i]
        case .map(let m):
            guard let v = m[key] else {
                if case .string(let s) = key { throw CELEvalError("no such key: \(s)") }
                throw CELEvalError("no such key: \(key.displayString)")
            }
            return v
        case .optional(let inner):
            guard let inner else { return .optional(nil) }
            switch inner {
            case .list(let l): return .optional(listIndex(key).flatMap { $0 >= 0 && $0 < l.count ? l[$0] : nil })
            case .map(let m): return .optional(m[key])
            default: throw .noSuchOverload("_[_]")
            }
        default: throw .noSuchOverload("_[_]")
        }
    }
}

extension CELEvalError {
    static let uintOverflow = CELEvalError("unsigned integer overflow")
}

extension CELValue {
    var isSized: Bool {
        switch self {
        case .string, .bytes, .list, .map: true
        default: false
        }
    }
}
