import KyvernAPI

/// Text forms that must match Go's (`string(1.5)`, error messages), since users compare them.
enum CELFormat {
    /// Go's 'g' with shortest precision switches to an exponent from 1e+06 on.
    static let goShortestExponent = true

    /// Shortest round-trip digits and decimal exponent: value = 0.d1d2... × 10^point.
    static func digits(_ d: Double) -> (digits: [UInt8], point: Int) {
        var text = "\(abs(d))"
        var exp = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0]), frac = parts.count > 1 ? String(parts[1]) : ""
        var ds = Array((intPart + frac).utf8).map { $0 - 48 }
        var point = intPart.count + exp
        while ds.first == 0, ds.count > 1 { ds.removeFirst(); point -= 1 }
        while ds.last == 0, ds.count > 1 { ds.removeLast() }
        if ds == [0] { point = 1 }
        return (ds, point)
    }

    /// Go's `strconv.FormatFloat(d, 'g', -1, 64)`, or `'f'` when `fixed`.
    static func goFloat(_ d: Double, fixed: Bool = false) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
        let sign = d < 0 || (d == 0 && d.sign == .minus) ? "-" : ""
        if d == 0 { return sign + "0" }
        let (ds, point) = digits(d)
        let str = String(decoding: ds.map { $0 + 48 }, as: UTF8.self)
        let exp = point - 1
        if !fixed, exp < -4 || exp >= 21 || (exp >= 6 && goShortestExponent) {
            var m = String(str.prefix(1))
            if ds.count > 1 { m += "." + str.dropFirst() }
            let e = abs(exp)
            return sign + m + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + str }
        if point >= ds.count { return sign + str + String(repeating: "0", count: point - ds.count) }
        return sign + String(str.prefix(point)) + "." + String(str.dropFirst(point))
    }
}

extension CELValue {
    /// How a value prints inside messages and `string()`.
    public var displayString: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .uint(let u): String(u)
        case .double(let d): CELFormat.goFloat(d)
        case .string(let s): s
        case .bytes(let b): String(decoding: b, as: UTF8.self)
        case .list(let l): "[" + l.map(\.displayString).joined(separator: ", ") + "]"
        case .map(let m): "{" + m.entries.map { "\($0.displayString): \($1.displayString)" }.joined(separator: ", ") + "}"
        case .type(let t): t.runtimeName
        case .duration(let d): CELTime.formatDuration(d)
        case .timestamp(let s, let n): CELTime.format(seconds: s, nanos: n)
        case .optional(let v): v.map { "optional(\($0.displayString))" } ?? "optional.none()"
        case .quantity(let q): q.quantity.description
        case .url(let u): u.text
        case .regexPattern(let p): p
        }
    }
}
