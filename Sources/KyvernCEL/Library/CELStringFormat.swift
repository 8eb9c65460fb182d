import Foundation

/// The strings extension's `format` (`"%s has %d items".format([name, n])`), with cel-go's verbs:
/// %s %d %f %e %x %X %o %b and %%, precision as `%.2f`.
enum CELStringFormat {
    static func add(_ t: inout CELFunctionTable) {
        t.add("format", [.init("string_format", member: true, [.string, .list(.dyn)], .string, estimate: { 1 + $0[0] / 10 })],
              cost: { a in celStringCost(celSize(a[0])) }) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let f) = a[0], case .list(let args) = a[1] else { throw .noSuchOverload("format") }
            return .string(try format(f, args))
        }
    }

    static func format(_ f: String, _ args: [CELValue]) throws(CELEvalError) -> String {
        var out = ""
        var chars = Array(f)[...]
        var argIndex = 0
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            var precision: Int?
            if chars.first == "." {
                chars = chars.dropFirst()
                let digits = chars.prefix { $0.isNumber }
                precision = Int(String(digits))
                chars = chars.dropFirst(digits.count)
            }
            guard let verb = chars.popFirst() else { throw CELEvalError("error during formatting: unexpected end of format string") }
            if verb == "%" { out.append("%"); continue }
            guard argIndex < args.count else {
                throw CELEvalError("error during formatting: index \(argIndex) out of range")
            }
            let arg = args[argIndex]
            argIndex += 1
            out += try clause(verb, precision, arg)
        }
        return out
    }

    static func clause(_ verb: Character, _ precision: Int?, _ arg: CELValue) throws(CELEvalError) -> String {
        switch verb {
        case "s": return stringClause(arg)
        case "d":
            switch arg {
            case .int(let i): return String(i)
            case .uint(let u): return String(u)
            case .double(let d) where d.isNaN: return "NaN"
            case .double(let d) where d.isInfinite: return d < 0 ? "-Infinity" : "Infinity"
            default: throw CELEvalError("error during formatting: decimal clause can only be used on integers, was given \(arg.celType)")
            }
        case "f", "e":
            let p = precision ?? 6
            let d: Double
            switch arg {
            case .double(let x): d = x
            case .int(let i): d = Double(i)
            case .uint(let u): d = Double(u)
            default: throw CELEvalError("error during formatting: \(verb == "f" ? "fixed-point" : "scientific") clause can only be used on doubles, was given \(arg.celType)")
            }
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
            return String(format: "%.\(p)\(verb)", d)
        case "x", "X", "o", "b":
            let radix = verb == "o" ? 8 : (verb == "b" ? 2 : 16)
            var s: String
            switch arg {
            case .int(let i): s = i < 0 ? "-" + String(i.magnitude, radix: radix) : String(i, radix: radix)
            case .uint(let u): s = String(u, radix: radix)
            case .bool(let b) where radix == 2: s = b ? "1" : "0"
            case .string(let str) where radix == 16: s = str.utf8.map { String(format: "%02x", $0) }.joined()
            case .bytes(let b) where radix == 16: s = b.map { String(format: "%02x", $0) }.joined()
            default: throw CELEvalError("error during formatting: only integers\(radix == 16 ? ", byte buffers, and strings" : "") can be formatted as \(radix == 16 ? "hex" : (radix == 8 ? "octal" : "binary")), was given \(arg.celType)")
            }
            if verb == "X" { s = s.uppercased() }
            return s
        default:
            throw CELEvalError("error during formatting: could not parse formatting clause: unrecognized formatting clause \"\(verb)\"")
        }
    }

    static func stringClause(_ v: CELValue) -> String {
        switch v {
        case .list(let l): return "[" + l.map(stringClause).joined(separator: ", ") + "]"
        case .map(let m):
            let entries = m.entries.map { (stringClause($0), stringClause($1)) }.sorted { $0.0 < $1.0 }
            return "{" + entries.map { "\($0): \($1)" }.joined(separator: ", ") + "}"
        case .type(let t): return t.runtimeName
        case .double(let d) where d.isInfinite: return d < 0 ? "-Infinity" : "Infinity"
        default: return v.displayString
        }
    }
}
