/// Timestamp and duration arithmetic and text forms (RFC 3339, Go duration strings), without Foundation
/// calendars so results do not depend on the host's locale.
enum CELTime {
    /// CEL's timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
    static let minSeconds: Int64 = -62_135_596_800
    static let maxSeconds: Int64 = 253_402_300_799

    static func timestamp(_ s: Int64, _ n: Int32, plus d: Int64) throws(CELEvalError) -> CELValue {
        var secs = s + d / 1_000_000_000
        var nanos = Int64(n) + d % 1_000_000_000
        if nanos < 0 { nanos += 1_000_000_000; secs -= 1 }
        if nanos >= 1_000_000_000 { nanos -= 1_000_000_000; secs += 1 }
        guard secs >= minSeconds, secs <= maxSeconds else { throw CELEvalError("timestamp out of range") }
        return .timestamp(seconds: secs, nanos: Int32(nanos))
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func parseTimestamp(_ text: String) throws(CELEvalError) -> CELValue {
        let c = Array(text.utf8)
        func num(_ from: Int, _ len: Int) -> Int64? {
            guard from + len <= c.count else { return nil }
            var v: Int64 = 0
            for b in c[from..<from + len] { guard b >= 48, b <= 57 else { return nil }; v = v * 10 + Int64(b - 48) }
            return v
        }
        let bad = CELEvalError("timestamp parsing error: \(text)")
        guard c.count >= 20, let y = num(0, 4), c[4] == 45, let mo = num(5, 2), c[7] == 45, let d = num(8, 2),
              c[10] == 84 || c[10] == 116, let h = num(11, 2), c[13] == 58, let mi = num(14, 2), c[16] == 58,
              let s = num(17, 2), mo >= 1, mo <= 12, d >= 1, d <= 31, h < 24, mi < 60, s < 60 else { throw bad }
        var i = 19
        var nanos: Int64 = 0
        if i < c.count, c[i] == 46 {
            i += 1
            var digits = 0
            while i < c.count, c[i] >= 48, c[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(c[i] - 48) }
                digits += 1; i += 1
            }
            guard digits > 0 else { throw bad }
            for _ in min(digits, 9)..<9 { nanos *= 10 }
        }
        guard i < c.count else { throw bad }
        var offset: Int64 = 0
        if c[i] == 90 || c[i] == 122 { i += 1 }
        else if c[i] == 43 || c[i] == 45, let oh = num(i + 1, 2), i + 3 < c.count, c[i + 3] == 58, let om = num(i + 4, 2) {
            offset = (oh * 60 + om) * 60 * (c[i] == 45 ? -1 : 1)
            i += 6
        } else { throw bad }
        guard i == c.count else { throw bad }
        let secs = days(year: y, month: mo, day: d) * 86400 + h * 3600 + mi * 60 + s - offset
        guard secs >= minSeconds, secs <= maxSeconds else { throw CELEvalError("timestamp out of range") }
        return .timestamp(seconds: secs, nanos: Int32(nanos))
    }

    static func format(seconds: Int64, nanos: Int32) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rem = seconds - days * 86400
        let (y, m, d) = civil(days)
        func p(_ v: Int64, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        var out = "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(rem / 3600, 2)):\(p(rem / 60 % 60, 2)):\(p(rem % 60, 2))"
        if nanos > 0 {
            var f = p(Int64(nanos), 9)
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        return out + "Z"
    }

    /// Go's `time.ParseDuration` grammar: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`.
    static func parseDuration(_ text: String) throws(CELEvalError) -> Int64 {
        let bad = CELEvalError("invalid duration: \(text)")
        var s = Substring(text)
        var neg = false
        if s.first == "-" || s.first == "+" { neg = s.first == "-"; s = s.dropFirst() }
        if s == "0" { return 0 }
        guard !s.isEmpty else { throw bad }
        var total: Double = 0
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        while !s.isEmpty {
            let numText = s.prefix { $0.isNumber || $0 == "." }
            guard !numText.isEmpty, let v = Double(numText) else { throw bad }
            s = s.dropFirst(numText.count)
            guard let (u, f) = units.filter({ s.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { throw bad }
            s = s.dropFirst(u.count)
            total += v * f
        }
        guard total < 9.223372036854775807e18 else { throw bad }
        let r = Int64(total.rounded())
        return neg ? -r : r
    }

    static func formatDuration(_ d: Int64) -> String {
        let secs = Double(d) / 1e9
        return CELFormat.goFloat(secs, fixed: true) + "s"
    }

    /// Offset in seconds of a time zone argument: "UTC", "+05:30", "-08:00", or an IANA name.
    static func zoneOffset(_ tz: String, at seconds: Int64) throws(CELEvalError) -> Int64 {
        if tz.isEmpty || tz == "UTC" || tz == "Z" { return 0 }
        let c = Array(tz.utf8)
        if c.count >= 5, c[0] == 43 || c[0] == 45 || (c[0] >= 48 && c[0] <= 57) {
            let body = c[0] == 43 || c[0] == 45 ? Array(c.dropFirst()) : c
            let parts = String(decoding: body, as: UTF8.self).split(separator: ":")
            guard parts.count == 2, let h = Int64(parts[0]), let m = Int64(parts[1]) else { throw CELEvalError("invalid time zone: \(tz)") }
            return (h * 3600 + m * 60) * (c[0] == 45 ? -1 : 1)
        }
        guard let off = CELTimeZones.offset(tz, seconds) else { throw CELEvalError("unknown time zone \(tz)") }
        return off
    }
}
