import Foundation

/// The functions cel-spec defines for every environment: operators, conversions, `size`, string tests,
/// time accessors and optionals.
enum CELStandardLibrary {
    static let table: CELFunctionTable = {
        var t = CELFunctionTable()
        addOperators(&t)
        addConversions(&t)
        addStrings(&t)
        addTime(&t)
        addOptionals(&t)
        return t
    }()

    static func addConversions(_ t: inout CELFunctionTable) {
        t.add("size", [.init("size_string", [.string], .int), .init("size_bytes", [.bytes], .int),
                       .init("size_list", [.list(tA)], .int), .init("size_map", [.map(tA, tB)], .int),
                       .init("string_size", member: true, [.string], .int), .init("bytes_size", member: true, [.bytes], .int),
                       .init("list_size", member: true, [.list(tA)], .int), .init("map_size", member: true, [.map(tA, tB)], .int)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .string, .bytes, .list, .map: return .int(Int64(celSize(a[0])))
            default: throw .noSuchOverload("size")
            }
        }
        t.add("int", [.init("int64_to_int64", [.int], .int), .init("uint64_to_int64", [.uint], .int),
                      .init("double_to_int64", [.double], .int), .init("string_to_int64", [.string], .int),
                      .init("timestamp_to_int64", [.timestamp], .int)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .int: return a[0]
            case .uint(let u): guard u <= UInt64(Int64.max) else { throw CELEvalError("range error") }; return .int(Int64(u))
            case .double(let d):
                guard d.isFinite, d > -9.223372036854775808e18, d < 9.223372036854775807e18 else { throw CELEvalError("range error") }
                return .int(Int64(d))
            case .string(let s): guard let i = Int64(s) else { throw CELEvalError("cannot convert \"\(s)\" to int") }; return .int(i)
            case .timestamp(let s, _): return .int(s)
            default: throw .noSuchOverload("int")
            }
        }
        t.add("uint", [.init("uint64_to_uint64", [.uint], .uint), .init("int64_to_uint64", [.int], .uint),
                       .init("double_to_uint64", [.double], .uint), .init("string_to_uint64", [.string], .uint)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .uint: return a[0]
            case .int(let i): guard i >= 0 else { throw CELEvalError("range error") }; return .uint(UInt64(i))
            case .double(let d):
                guard d.isFinite, d > -1, d < 1.8446744073709552e19 else { throw CELEvalError("range error") }
                return .uint(UInt64(d))
            case .string(let s): guard let u = UInt64(s) else { throw CELEvalError("cannot convert \"\(s)\" to uint") }; return .uint(u)
            default: throw .noSuchOverload("uint")
            }
        }
        t.add("double", [.init("double_to_double", [.double], .double), .init("int64_to_double", [.int], .double),
                         .init("uint64_to_double", [.uint], .double), .init("string_to_double", [.string], .double)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .double: return a[0]
            case .int(let i): return .double(Double(i))
            case .uint(let u): return .double(Double(u))
            case .string(let s):
                let v: Double? = switch s.lowercased() {
                case "nan": .nan
                case "inf", "+inf", "infinity", "+infinity": .infinity
                case "-inf", "-infinity": -.infinity
                default: Double(s)
                }
                guard let v else { throw CELEvalError("cannot convert \"\(s)\" to double") }
                return .double(v)
            default: throw .noSuchOverload("double")
            }
        }
        t.add("string", [.init("string_to_string", [.string], .string), .init("int64_to_string", [.int], .string),
                         .init("uint64_to_string", [.uint], .string), .init("double_to_string", [.double], .string),
                         .init("bytes_to_string", [.bytes], .string), .init("bool_to_string", [.bool], .string),
                         .init("timestamp_to_string", [.timestamp], .string), .init("duration_to_string", [.duration], .string)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .string, .int, .uint, .double, .bool, .timestamp, .duration: return .string(a[0].displayString)
            case .bytes(let b):
                guard let s = String(validating: b, as: UTF8.self) else { throw CELEvalError("invalid UTF-8 in bytes, cannot convert to string") }
                return .string(s)
            default: throw .noSuchOverload("string")
            }
        }
        t.add("bytes", [.init("bytes_to_bytes", [.bytes], .bytes), .init("string_to_bytes", [.string], .bytes)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .bytes: return a[0]
            case .string(let s): return .bytes(Array(s.utf8))
            default: throw .noSuchOverload("bytes")
            }
        }
        t.add("bool", [.init("bool_to_bool", [.bool], .bool), .init("string_to_bool", [.string], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .bool: return a[0]
            case .string(let s):
                switch s {
                case "1", "t", "T", "true", "TRUE", "True": return .bool(true)
                case "0", "f", "F", "false", "FALSE", "False": return .bool(false)
                default: throw CELEvalError("type conversion error from 'string' to 'bool'")
                }
            default: throw .noSuchOverload("bool")
            }
        }
        t.add("duration", [.init("duration_to_duration", [.duration], .duration), .init("string_to_duration", [.string], .duration)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .duration: return a[0]
            case .string(let s): return .duration(try CELTime.parseDuration(s))
            default: throw .noSuchOverload("duration")
            }
        }
        t.add("timestamp", [.init("timestamp_to_timestamp", [.timestamp], .timestamp), .init("string_to_timestamp", [.string], .timestamp),
                            .init("int64_to_timestamp", [.int], .timestamp)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .timestamp: return a[0]
            case .string(let s): return try CELTime.parseTimestamp(s)
            case .int(let i):
                guard i >= CELTime.minSeconds, i <= CELTime.maxSeconds else { throw CELEvalError("timestamp out of range") }
                return .timestamp(seconds: i, nanos: 0)
            default: throw .noSuchOverload("timestamp")
            }
        }
        t.add("type", [.init("type", [tA], .type(tA))]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .type(a[0].celType)
        }
        t.add("dyn", [.init("to_dyn", [tA], .dyn)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in a[0] }
    }

    static func addStrings(_ t: inout CELFunctionTable) {
        @Sendable func stringPair(_ name: String, _ a: [CELValue]) throws(CELEvalError) -> (String, String) {
            guard a.count == 2, case .string(let x) = a[0], case .string(let y) = a[1] else { throw .noSuchOverload(name) }
            return (x, y)
        }
        let costByFirst: @Sendable ([CELValue]) -> UInt64 = { a in celStringCost(celSize(a[0])) }
        let est: @Sendable ([Double]) -> Double = { 1 + $0[0] / 10 }
        t.add("contains", [.init("contains_string", member: true, [.string, .string], .bool, estimate: est)], cost: costByFirst) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let (x, y) = try stringPair("contains", a)
            return .bool(y.isEmpty || x.contains(y))
        }
        t.add("startsWith", [.init("starts_with_string", member: true, [.string, .string], .bool, estimate: est)], cost: costByFirst) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let (x, y) = try stringPair("startsWith", a)
            return .bool(x.unicodeScalars.starts(with: y.unicodeScalars))
        }
        t.add("endsWith", [.init("ends_with_string", member: true, [.string, .string], .bool, estimate: est)], cost: costByFirst) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let (x, y) = try stringPair("endsWith", a)
            return .bool(x.unicodeScalars.reversed().starts(with: y.unicodeScalars.reversed()))
        }
        let regexEst: @Sendable ([Double]) -> Double = { 1 + $0[0] * $0[1] / 10 }
        t.add("matches", [.init("matches", [.string, .string], .bool, estimate: regexEst),
                          .init("matches_string", member: true, [.string, .string], .bool, estimate: regexEst)],
              cost: { a in celStringCost(celSize(a[0]) * max(1, a.count > 1 ? celSize(a[1]) : 1)) }) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let (x, y) = try stringPair("matches", a)
            return .bool(try CELRegex.compile(y).firstMatch(in: x) != nil)
        }
    }

    static func addTime(_ t: inout CELFunctionTable) {
        // name, (timestamp field given civil parts), duration accessor
        let names = ["getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
                     "getHours", "getMinutes", "getSeconds", "getMilliseconds"]
        for name in names {
            var ovs: [CELOverload] = [.init("timestamp_\(name)", member: true, [.timestamp], .int),
                                      .init("timestamp_\(name)_with_tz", member: true, [.timestamp, .string], .int)]
            if ["getHours", "getMinutes", "getSeconds", "getMilliseconds"].contains(name) {
                ovs.append(.init("duration_\(name)", member: true, [.duration], .int))
            }
            t.add(name, ovs) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
                switch a[0] {
                case .duration(let d):
                    switch name {
                    case "getHours": return .int(d / 3_600_000_000_000)
                    case "getMinutes": return .int(d / 60_000_000_000)
                    case "getSeconds": return .int(d / 1_000_000_000)
                    case "getMilliseconds": return .int(d / 1_000_000 % 1000)
                    default: throw .noSuchOverload(name)
                    }
                case .timestamp(let s, let n):
                    var tz = ""
                    if a.count == 2 { guard case .string(let z) = a[1] else { throw .noSuchOverload(name) }; tz = z }
                    let local = s + (try CELTime.zoneOffset(tz, at: s))
                    let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
                    let rem = local - days * 86400
                    let (y, m, d) = CELTime.civil(days)
                    switch name {
                    case "getFullYear": return .int(y)
                    case "getMonth": return .int(m - 1)
                    case "getDate": return .int(d)
                    case "getDayOfMonth": return .int(d - 1)
                    case "getDayOfWeek": return .int(((days % 7) + 11) % 7)
                    case "getDayOfYear": return .int(days - CELTime.days(year: y, month: 1, day: 1))
                    case "getHours": return .int(rem / 3600)
                    case "getMinutes": return .int(rem / 60 % 60)
                    case "getSeconds": return .int(rem % 60)
                    default: return .int(Int64(n) / 1_000_000)
                    }
                default: throw .noSuchOverload(name)
                }
            }
        }
    }

    static func addOptionals(_ t: inout CELFunctionTable) {
        t.add("optional.of", [.init("optional_of", [tA], .optional(tA))]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in .optional(a[0]) }
        t.add("optional.none", [.init("optional_none", [], .optional(.dyn))]) { _ throws(CELEvalError) in .optional(nil) }
        t.add("optional.ofNonZeroValue", [.init("optional_ofNonZeroValue", [tA], .optional(tA))]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            switch a[0] {
            case .null, .bool(false), .int(0), .uint(0), .double(0), .duration(0): return .optional(nil)
            case .string(let s) where s.isEmpty: return .optional(nil)
            case .bytes(let b) where b.isEmpty: return .optional(nil)
            case .list(let l) where l.isEmpty: return .optional(nil)
            case .map(let m) where m.count == 0: return .optional(nil)
            case .timestamp(0, 0): return .optional(nil)
            default: return .optional(a[0])
            }
        }
        t.add("hasValue", [.init("optional_hasValue", member: true, [.optional(tA)], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .optional(let v) = a[0] else { throw .noSuchOverload("hasValue") }
            return .bool(v != nil)
        }
        t.add("value", [.init("optional_value", member: true, [.optional(tA)], tA)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .optional(let v) = a[0] else { throw .noSuchOverload("value") }
            guard let v else { throw CELEvalError("optional.none() dereference") }
            return v
        }
        t.add("orValue", [.init("optional_orValue", member: true, [.optional(tA), tA], tA)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .optional(let v) = a[0] else { throw .noSuchOverload("orValue") }
            return v ?? a[1]
        }
        t.add("or", [.init("optional_or_optional", member: true, [.optional(tA), .optional(tA)], .optional(tA))]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .optional(let v) = a[0] else { throw .noSuchOverload("or") }
            return v != nil ? a[0] : a[1]
        }
    }
}
