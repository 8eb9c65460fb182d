#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// RFC 3339 timestamps as Kubernetes writes them: `metav1.Time` to the second
/// (`2026-11-26T04:39:11Z`) and `metav1.MicroTime` to the microsecond (`2026-11-26T04:39:11.123456Z`).
///
/// Every create stamps `creationTimestamp` and every Event and Lease a MicroTime, so formatting is
/// done by hand with civil-date arithmetic: no formatter objects, no locale, no shared state.
/// Output is always UTC; parsing accepts any offset and an optional fraction, as Go's `time.Parse` does.
public enum Timestamp {
    // MARK: formatting

    /// `metav1.Time`: whole seconds (truncated, as Go does), UTC.
    public static func format(_ date: Date) -> String {
        format(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    public static func format(secondsSince1970 seconds: Int64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            writeDateTime(seconds, into: buffer, at: 0, fraction: nil)
        }
    }

    /// `metav1.MicroTime`: always six fractional digits, UTC.
    public static func formatMicro(_ date: Date) -> String {
        formatMicro(microsecondsSince1970: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    public static func formatMicro(microsecondsSince1970 micros: Int64) -> String {
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        return String(unsafeUninitializedCapacity: 40) { buffer in
            writeDateTime(seconds, into: buffer, at: 0, fraction: fraction)
        }
    }

    // MARK: parsing

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil if it is not such a time.
    public static func parse(_ text: String) -> Date? {
        guard let micros = parseMicroseconds(text) else { return nil }
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// The instant as exact microseconds since 1970 (digits past the sixth are truncated).
    public static func parseMicroseconds(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parseMicroseconds(bytes: $0) }
    }

    static func parseMicroseconds(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = b.count
        guard n >= 20 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int? {
            var value = 0
            for i in at..<(at + count) {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                value = value * 10 + Int(d)
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"),
              let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
              hour < 24, minute < 60, second < 60 else { return nil }
        var i = 19
        var micros = 0
        if b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            let start = i
            var scale = 100_000
            while i < n, b[i] &- UInt8(ascii: "0") < 10 {
                micros += Int(b[i] &- UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < n else { return nil }
        var offsetSeconds = 0
        if b[i] == UInt8(ascii: "Z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 <= n, let oh = digits(i + 1, 2), b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2),
                  oh < 24, om < 60 else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds * 1_000_000 + Int64(micros)
    }

    // MARK: calendar arithmetic (proleptic Gregorian, after H. Hinnant's public-domain algorithms)

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` and returns the byte count.
    private static func writeDateTime(_ seconds: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int,
                                      fraction: Int64?) -> Int {
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civilFromDays(Int(days))
        var i = start
        func put(_ value: Int, width: Int) {
            var v = value
            var k = width
            while k > 0 {
                k -= 1
                buffer[i + k] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            i += width
        }
        func put(_ byte: Unicode.Scalar) {
            buffer[i] = UInt8(ascii: byte)
            i += 1
        }
        if year < 0 { put("-") }
        put(abs(year) % 10_000, width: 4)
        put("-"); put(month, width: 2); put("-"); put(day, width: 2)
        put("T")
        let s = Int(secondOfDay)
        put(s / 3600, width: 2); put(":"); put(s / 60 % 60, width: 2); put(":"); put(s % 60, width: 2)
        if let fraction {
            put(".")
            put(Int(fraction), width: 6)
        }
        put("Z")
        return i - start
    }
}
