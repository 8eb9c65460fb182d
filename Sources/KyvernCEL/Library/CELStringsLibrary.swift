/// cel-go's strings extension (version 2, as Kubernetes enables it): charAt, indexOf, lastIndexOf,
/// lowerAscii, upperAscii, replace, split, substring, trim, join, strings.quote, reverse.
enum CELStringsLibrary {
    static func add(_ t: inout CELFunctionTable) {
        let byLen: @Sendable ([CELValue]) -> UInt64 = { a in celStringCost(celSize(a[0])) }
        let est: @Sendable ([Double]) -> Double = { 1 + $0[0] / 10 }
        @Sendable func scalars(_ v: CELValue, _ name: String) throws(CELEvalError) -> [Unicode.Scalar] {
            guard case .string(let s) = v else { throw .noSuchOverload(name) }
            return Array(s.unicodeScalars)
        }
        @Sendable func int(_ v: CELValue, _ name: String) throws(CELEvalError) -> Int {
            guard case .int(let i) = v else { throw .noSuchOverload(name) }
            return Int(clamping: i)
        }
        @Sendable func str<S: Sequence<Unicode.Scalar>>(_ s: S) -> CELValue { .string(String(String.UnicodeScalarView(s))) }

        t.add("charAt", [.init("string_char_at_int", member: true, [.string, .int], .string)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let s = try scalars(a[0], "charAt"), i = try int(a[1], "charAt")
            guard i >= 0, i <= s.count else { throw CELEvalError("index out of range: \(i)") }
            return i == s.count ? .string("") : str([s[i]])
        }
        @Sendable func indexOf(_ a: [CELValue], last: Bool) throws(CELEvalError) -> CELValue {
            let name = last ? "lastIndexOf" : "indexOf"
            let s = try scalars(a[0], name), sub = try scalars(a[1], name)
            var from = last ? s.count : 0
            if a.count == 3 {
                from = try int(a[2], name)
                guard from >= 0, from <= s.count else { throw CELEvalError("index out of range: \(from)") }
            }
            if sub.isEmpty { return .int(Int64(from)) }
            if last {
                var i = min(from, s.count - sub.count)
                while i >= 0 {
                    if Array(s[i..<i + sub.count]) == sub { return .int(Int64(i)) }
                    i -= 1
                }
            } else {
                var i = from
                while i + sub.count <= s.count {
                    if Array(s[i..<i + sub.count]) == sub { return .int(Int64(i)) }
                    i += 1
                }
            }
            return .int(-1)
        }
        t.add("indexOf", [.init("string_index_of_string", member: true, [.string, .string], .int, estimate: est),
                          .init("string_index_of_string_int", member: true, [.string, .string, .int], .int, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            try indexOf(a, last: false)
        }
        t.add("lastIndexOf", [.init("string_last_index_of_string", member: true, [.string, .string], .int, estimate: est),
                              .init("string_last_index_of_string_int", member: true, [.string, .string, .int], .int, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            try indexOf(a, last: true)
        }
        t.add("lowerAscii", [.init("string_lower_ascii", member: true, [.string], .string, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            str(try scalars(a[0], "lowerAscii").map { $0 >= "A" && $0 <= "Z" ? Unicode.Scalar($0.value + 32)! : $0 })
        }
        t.add("upperAscii", [.init("string_upper_ascii", member: true, [.string], .string, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            str(try scalars(a[0], "upperAscii").map { $0 >= "a" && $0 <= "z" ? Unicode.Scalar($0.value - 32)! : $0 })
        }
        t.add("replace", [.init("string_replace_string_string", member: true, [.string, .string, .string], .string, estimate: est),
                          .init("string_replace_string_string_int", member: true, [.string, .string, .string, .int], .string, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let s = try scalars(a[0], "replace"), old = try scalars(a[1], "replace"), new = try scalars(a[2], "replace")
            var n = a.count == 4 ? try int(a[3], "replace") : -1
            var out: [Unicode.Scalar] = [], i = 0
            if old.isEmpty {
                // Go inserts the replacement before every scalar and at the end.
                for c in s { if n != 0 { out += new; n -= 1 }; out.append(c) }
                if n != 0 { out += new }
                return str(out)
            }
            while i < s.count {
                if n != 0, i + old.count <= s.count, Array(s[i..<i + old.count]) == old {
                    out += new; i += old.count; n -= 1
                } else {
                    out.append(s[i]); i += 1
                }
            }
            return str(out)
        }
        t.add("split", [.init("string_split_string", member: true, [.string, .string], .list(.string), estimate: est),
                        .init("string_split_string_int", member: true, [.string, .string, .int], .list(.string), estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let s = try scalars(a[0], "split"), sep = try scalars(a[1], "split")
            let n = a.count == 3 ? try int(a[2], "split") : -1
            if n == 0 { return .list([]) }
            var parts: [[Unicode.Scalar]] = []
            if sep.isEmpty {
                for c in s {
                    if n > 0, parts.count == n - 1 { break }
                    parts.append([c])
                }
                let used = parts.count
                if used < s.count { parts.append(Array(s[used...])) }
                return .list(parts.map { str($0) })
            }
            var cur: [Unicode.Scalar] = [], i = 0
            while i < s.count {
                if (n < 0 || parts.count < n - 1), i + sep.count <= s.count, Array(s[i..<i + sep.count]) == sep {
                    parts.append(cur); cur = []; i += sep.count
                } else {
                    cur.append(s[i]); i += 1
                }
            }
            parts.append(cur)
            return .list(parts.map { str($0) })
        }
        t.add("substring", [.init("string_substring_int", member: true, [.string, .int], .string, estimate: est),
                            .init("string_substring_int_int", member: true, [.string, .int, .int], .string, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let s = try scalars(a[0], "substring"), start = try int(a[1], "substring")
            let end = a.count == 3 ? try int(a[2], "substring") : s.count
            guard start >= 0, start <= s.count else { throw CELEvalError("index out of range: \(start)") }
            guard end >= 0, end <= s.count else { throw CELEvalError("index out of range: \(end)") }
            guard start <= end else { throw CELEvalError("invalid substring range. start: \(start), end: \(end)") }
            return str(s[start..<end])
        }
        t.add("trim", [.init("string_trim", member: true, [.string], .string, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let s = try scalars(a[0], "trim")
            let ws = { (c: Unicode.Scalar) in c.properties.isWhitespace }
            guard let f = s.firstIndex(where: { !ws($0) }), let l = s.lastIndex(where: { !ws($0) }) else { return .string("") }
            return str(s[f...l])
        }
        t.add("join", [.init("list_join", member: true, [.list(.string)], .string),
                       .init("list_join_string", member: true, [.list(.string), .string], .string)],
              cost: { a in celStringCost(celSize(a[0]) * 8) }) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .list(let l) = a[0] else { throw .noSuchOverload("join") }
            var sep = ""
            if a.count == 2 { guard case .string(let s) = a[1] else { throw .noSuchOverload("join") }; sep = s }
            var parts: [String] = []
            for v in l { guard case .string(let s) = v else { throw .noSuchOverload("join") }; parts.append(s) }
            return .string(parts.joined(separator: sep))
        }
        t.add("reverse", [.init("string_reverse", member: true, [.string], .string, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            str(try scalars(a[0], "reverse").reversed())
        }
        t.add("strings.quote", [.init("strings_quote", [.string], .string, estimate: est)], cost: byLen) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let s) = a[0] else { throw .noSuchOverload("strings.quote") }
            var out = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\u{07}": out += "\\a"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{0B}": out += "\\v"
                case "\\": out += "\\\\"
                case "\"": out += "\\\""
                default: out.unicodeScalars.append(c)
                }
            }
            return .string(out + "\"")
        }
    }
}
