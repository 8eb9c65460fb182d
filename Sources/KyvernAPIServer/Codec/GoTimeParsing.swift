import KyvernAPI

/// How upstream's decoder reads `metav1.Time` (`time.Parse(time.RFC3339, s)`) and `metav1.MicroTime`
/// (`time.Parse("2006-01-02T15:04:05.000000Z07:00", s)`): the same errors, worded as Go's `ParseError`,
/// and the value stored as Go writes it back (UTC; seconds for Time, six fractional digits for MicroTime).
enum GoTimeParsing {
    static let rfc3339 = "2006-01-02T15:04:05Z07:00"
    static let rfc3339Micro = "2006-01-02T15:04:05.000000Z07:00"

    /// The normalized spelling of `text`, or Go's error message.
    static func normalize(_ text: String, micro: Bool) -> Result<String, GoTimeError> {
        if let message = check(Array(text.utf8), micro: micro, text: text) { return .failure(GoTimeError(message: message)) }
        guard let micros = Timestamp.parseMicroseconds(text) else { return .success(text) }
        if micro { return .success(Timestamp.formatMicro(microsecondsSince1970: micros)) }
        let seconds = micros >= 0 ? micros / 1_000_000 : -((-micros + 999_999) / 1_000_000)
        return .success(Timestamp.format(secondsSince1970: seconds))
    }

    struct GoTimeError: Error {
        var message: String
    }

    /// Walks the layout as Go's `time.Parse` does and returns its error message, nil when it parses.
    static func check(_ v: [UInt8], micro: Bool, text: String) -> String? {
        let layout = micro ? rfc3339Micro : rfc3339
        var pos = 0
        func rest() -> String { String(decoding: v[min(pos, v.count)...], as: UTF8.self) }
        func cannot(_ element: String, at start: Int) -> String {
            "parsing time \(goQuote(text)) as \(goQuote(layout)): cannot parse \(goQuote(String(decoding: v[start...], as: UTF8.self))) as \(goQuote(element))"
        }
        func outOfRange(_ what: String) -> String { "parsing time \(goQuote(text)): \(what) out of range" }
        func isDigit(_ i: Int) -> Bool { i < v.count && v[i] >= 48 && v[i] <= 57 }
        func literal(_ c: Character) -> Bool {
            guard pos < v.count, v[pos] == c.asciiValue! else { return false }
            pos += 1
            return true
        }
        /// Go's `getnum`: one or two digits, exactly two when `fixed`.
        func number(fixed: Bool) -> Int? {
            guard isDigit(pos) else { return nil }
            if !isDigit(pos + 1) {
                if fixed { return nil }
                pos += 1
                return Int(v[pos - 1] - 48)
            }
            pos += 2
            return Int(v[pos - 2] - 48) * 10 + Int(v[pos - 1] - 48)
        }
        var start = pos
        guard v.count >= 4, (0..<4).allSatisfy(isDigit) else { return cannot("2006", at: 0) }
        let year = Int(String(decoding: v[0..<4], as: UTF8.self))!
        pos = 4
        guard literal("-") else { return cannot("-", at: pos) }
        start = pos
        guard let month = number(fixed: true) else { return cannot("01", at: start) }
        if month < 1 || month > 12 { return outOfRange("month") }
        guard literal("-") else { return cannot("-", at: pos) }
        start = pos
        guard let day = number(fixed: true) else { return cannot("02", at: start) }
        guard literal("T") else { return cannot("T", at: pos) }
        start = pos
        guard let hour = number(fixed: false) else { return cannot("15", at: start) }
        if hour > 23 { return outOfRange("hour") }
        guard literal(":") else { return cannot(":", at: pos) }
        start = pos
        guard let minute = number(fixed: true) else { return cannot("04", at: start) }
        if minute > 59 { return outOfRange("minute") }
        guard literal(":") else { return cannot(":", at: pos) }
        start = pos
        guard let second = number(fixed: true) else { return cannot("05", at: start) }
        if second > 59 { return outOfRange("second") }
        if micro {
            start = pos
            guard v.count - pos >= 7, v[pos] == UInt8(ascii: ".") || v[pos] == UInt8(ascii: ","),
                  (pos + 1...pos + 6).allSatisfy(isDigit) else { return cannot(".000000", at: start) }
            pos += 7
        } else if pos + 1 < v.count, v[pos] == UInt8(ascii: ".") || v[pos] == UInt8(ascii: ","), isDigit(pos + 1) {
            pos += 1
            while isDigit(pos) { pos += 1 }
        }
        start = pos
        if literal("Z") {
            // UTC
        } else {
            guard v.count - pos >= 6, v[pos] == UInt8(ascii: "+") || v[pos] == UInt8(ascii: "-"), v[pos + 3] == UInt8(ascii: ":"),
                  isDigit(pos + 1), isDigit(pos + 2), isDigit(pos + 4), isDigit(pos + 5) else { return cannot("Z07:00", at: start) }
            let offsetHour = Int(v[pos + 1] - 48) * 10 + Int(v[pos + 2] - 48)
            let offsetMinute = Int(v[pos + 4] - 48) * 10 + Int(v[pos + 5] - 48)
            pos += 6
            if offsetHour > 24 { return outOfRange("time zone offset hour") }
            if offsetMinute > 60 { return outOfRange("time zone offset minute") }
        }
        if pos < v.count { return "parsing time \(goQuote(text)): extra text: \(goQuote(rest()))" }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        if day < 1 || day > days { return outOfRange("day") }
        return nil
    }
}
