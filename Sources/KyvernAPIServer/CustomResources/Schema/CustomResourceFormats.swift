import Foundation

/// The string `format`s upstream checks in custom resources (go-openapi's default registry), each
/// accepting what its Go checker accepts. Unknown formats never reach here: `StructuralSchemaNode` drops them.
enum CustomResourceFormats {
    static func validates(_ format: String, _ s: String) -> Bool {
        switch format.replacingOccurrences(of: "-", with: "") {
        case "bsonobjectid": return s.utf8.count == 24 && s.utf8.allSatisfy(isHex)
        case "uri": return isRequestURI(s)
        case "email": return isEmail(s)
        case "hostname": return isHostname(s)
        case "ipv4": return isIPv4(s)
        case "ipv6": return isIPv6(s)
        case "cidr": return isCIDR(s)
        case "mac": return isMAC(s)
        case "uuid": return isUUID(s, version: nil)
        case "uuid3": return isUUID(s, version: 3)
        case "uuid4": return isUUID(s, version: 4)
        case "uuid5": return isUUID(s, version: 5)
        case "isbn": return isISBN10(s) || isISBN13(s)
        case "isbn10": return isISBN10(s)
        case "isbn13": return isISBN13(s)
        case "creditcard": return isCreditCard(s)
        case "ssn": return isSSN(s)
        case "hexcolor": return isHexColor(s)
        case "rgbcolor": return isRGBColor(s)
        case "byte": return isBase64(s)
        case "password": return true
        case "date": return isDate(s)
        case "duration": return isDuration(s)
        case "datetime": return isDateTime(s)
        default: return true
        }
    }

    static func isHex(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Go's `url.ParseRequestURI`: an absolute URI (scheme:...) or an absolute path, no fragment.
    static func isRequestURI(_ s: String) -> Bool {
        if s.isEmpty || s.contains(" ") { return false }
        if s.hasPrefix("/") { return true }
        guard let colon = s.firstIndex(of: ":") else { return false }
        let scheme = s[..<colon]
        guard let first = scheme.unicodeScalars.first, CharacterSet.letters.contains(first),
              scheme.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "+-.".unicodeScalars.contains($0) })
        else { return false }
        return true
    }

    /// Go's `mail.ParseAddress` for the plain `local@domain` form (and `Name <local@domain>`).
    static func isEmail(_ s: String) -> Bool {
        var address = Substring(s)
        if let open = s.lastIndex(of: "<"), s.hasSuffix(">") {
            address = s[s.index(after: open)..<s.index(before: s.endIndex)]
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        let allowedLocal = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+-/=?^_`{|}~."))
        guard parts[0].unicodeScalars.allSatisfy({ allowedLocal.contains($0) }),
              !parts[0].hasPrefix("."), !parts[0].hasSuffix("."), !parts[0].contains("..") else { return false }
        let allowedDomain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-."))
        return parts[1].unicodeScalars.allSatisfy { allowedDomain.contains($0) }
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !parts[1].contains("..")
    }

    /// go-openapi's hostname check: labels of letters, digits (and symbols) with inner dashes, at most
    /// 63 bytes each and 255 in all; a name with dots needs a last label of at least two characters.
    static func isHostname(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 255 else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        func isLabelChar(_ c: Unicode.Scalar) -> Bool {
            CharacterSet.alphanumerics.contains(c) || CharacterSet.symbols.contains(c)
        }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, let first = label.unicodeScalars.first,
                  let last = label.unicodeScalars.last, isLabelChar(first), isLabelChar(last),
                  label.unicodeScalars.allSatisfy({ isLabelChar($0) || $0 == "-" }) else { return false }
        }
        if labels.count > 1 {
            let last = labels.last!
            if last.unicodeScalars.count < 2 || last.contains("--") { return false }
        } else if s.contains("--") {
            return false
        }
        return true
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 3, part.utf8.allSatisfy(isDigit), let v = Int(part), v <= 255
            else { return false }
            if part.utf8.count > 1 && part.hasPrefix("0") { return false }
        }
        return true
    }

    static func isIPv6(_ s: String) -> Bool {
        guard s.contains(":") else { return false }
        var address = s
        var groupsAvailable = 8
        if let lastColon = s.lastIndex(of: ":"), s[s.index(after: lastColon)...].contains(".") {
            guard isIPv4(String(s[s.index(after: lastColon)...])) else { return false }
            address = String(s[...lastColon]) + "0"
            groupsAvailable = 7
        }
        let halves = address.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ part: String) -> [Substring]? {
            if part.isEmpty { return [] }
            let g = part.split(separator: ":", omittingEmptySubsequences: false)
            for x in g where x.isEmpty || x.utf8.count > 4 || !x.utf8.allSatisfy(isHex) { return nil }
            return g
        }
        guard let head = groups(halves[0]) else { return false }
        if halves.count == 2 {
            guard let tail = groups(halves[1]) else { return false }
            return head.count + tail.count < groupsAvailable
        }
        return head.count == groupsAvailable
    }

    static func isCIDR(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].utf8.allSatisfy(isDigit), parts[1].utf8.count <= 3,
              let bits = Int(parts[1]) else { return false }
        if isIPv4(String(parts[0])) { return bits <= 32 }
        if isIPv6(String(parts[0])) { return bits <= 128 }
        return false
    }

    /// Go's `net.ParseMAC`: 6, 8 or 20 octets as `aa:bb:..`, `aa-bb-..` or `aabb.ccdd....`.
    static func isMAC(_ s: String) -> Bool {
        for separator in [":", "-"] where s.contains(separator) {
            let parts = s.components(separatedBy: separator)
            return [6, 8, 20].contains(parts.count) && parts.allSatisfy { $0.utf8.count == 2 && $0.utf8.allSatisfy(isHex) }
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return [3, 4, 10].contains(parts.count) && parts.allSatisfy { $0.utf8.count == 4 && $0.utf8.allSatisfy(isHex) }
    }

    /// `(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?V[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$` (V and the
    /// variant only for versions 4 and 5; version 3 pins V but not the variant).
    static func isUUID(_ s: String, version: Int?) -> Bool {
        let bytes = Array(s.utf8)
        var groups: [[UInt8]] = []
        var i = 0
        for length in [8, 4, 4, 4, 12] {
            if !groups.isEmpty, i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i + length <= bytes.count else { return false }
            let group = Array(bytes[i..<(i + length)])
            guard group.allSatisfy(isHex) else { return false }
            groups.append(group)
            i += length
        }
        guard i == bytes.count else { return false }
        if let version {
            guard groups[2][0] == UInt8(ascii: "0") + UInt8(version) else { return false }
            if version != 3 {
                guard "89abAB".utf8.contains(groups[3][0]) else { return false }
            }
        }
        return true
    }

    static func isISBN10(_ s: String) -> Bool {
        let chars = Array(s.utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: " ") })
        guard chars.count == 10 else { return false }
        var sum = 0
        for (i, c) in chars.enumerated() {
            if i == 9 && (c == UInt8(ascii: "X") || c == UInt8(ascii: "x")) {
                sum += 10 * 10
            } else if isDigit(c) {
                sum += (i + 1) * Int(c - 0x30)
            } else {
                return false
            }
        }
        return sum % 11 == 0
    }

    static func isISBN13(_ s: String) -> Bool {
        let chars = Array(s.utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: " ") })
        guard chars.count == 13, chars.allSatisfy(isDigit) else { return false }
        var sum = 0
        for (i, c) in chars.prefix(12).enumerated() { sum += Int(c - 0x30) * (i % 2 == 0 ? 1 : 3) }
        return (10 - sum % 10) % 10 == Int(chars[12] - 0x30)
    }

    /// govalidator's credit card check: the digits (other characters removed) of a known issuer, Luhn-valid.
    static func isCreditCard(_ s: String) -> Bool {
        let digits = Array(s.utf8.filter(isDigit).map { Int($0 - 0x30) })
        guard digits.count >= 13, digits.count <= 19 else { return false }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            var v = d
            if i % 2 == 1 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
        }
        return sum % 10 == 0
    }

    /// `^\d{3}[- ]?\d{2}[- ]?\d{4}$`
    static func isSSN(_ s: String) -> Bool {
        var bytes = Array(s.utf8)[...]
        func digits(_ n: Int) -> Bool {
            guard bytes.count >= n, bytes.prefix(n).allSatisfy(isDigit) else { return false }
            bytes = bytes.dropFirst(n)
            return true
        }
        func separator() {
            if let b = bytes.first, b == UInt8(ascii: "-") || b == UInt8(ascii: " ") { bytes = bytes.dropFirst() }
        }
        guard digits(3) else { return false }
        separator()
        guard digits(2) else { return false }
        separator()
        return digits(4) && bytes.isEmpty
    }

    /// `^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`
    static func isHexColor(_ s: String) -> Bool {
        let body = s.hasPrefix("#") ? s.utf8.dropFirst() : s.utf8[...]
        return (body.count == 3 || body.count == 6) && body.allSatisfy(isHex)
    }

    /// `rgb(r,g,b)` with each component 0-255 (spaces allowed around them).
    static func isRGBColor(_ s: String) -> Bool {
        guard s.hasPrefix("rgb("), s.hasSuffix(")") else { return false }
        let inner = s.dropFirst(4).dropLast()
        let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return false }
        return parts.allSatisfy { part in
            let t = part.trimmingCharacters(in: .whitespaces)
            guard !t.isEmpty, t.utf8.count <= 3, t.utf8.allSatisfy(isDigit), let v = Int(t) else { return false }
            return v <= 255
        }
    }

    /// Standard base64 with padding, as govalidator's `IsBase64`.
    static func isBase64(_ s: String) -> Bool {
        Data(base64Encoded: s) != nil && s.utf8.count % 4 == 0
    }

    /// `2006-01-02` with a real calendar date.
    static func isDate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = Int(String(decoding: b[0..<4], as: UTF8.self)),
              let m = Int(String(decoding: b[5..<7], as: UTF8.self)),
              let d = Int(String(decoding: b[8..<10], as: UTF8.self)),
              b[0..<4].allSatisfy(isDigit), b[5..<7].allSatisfy(isDigit), b[8..<10].allSatisfy(isDigit)
        else { return false }
        return isValidDay(year: y, month: m, day: d)
    }

    static func isValidDay(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// RFC 3339 date-time as go-openapi checks it: `2006-01-02T15:04:05[.frac](Z|±hh:mm)`, `t`/`z` allowed.
    static func isDateTime(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count >= 20, isDate(String(decoding: b[0..<10], as: UTF8.self)),
              [UInt8(ascii: "T"), UInt8(ascii: "t")].contains(b[10]),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              b[11..<13].allSatisfy(isDigit), b[14..<16].allSatisfy(isDigit), b[17..<19].allSatisfy(isDigit),
              let hour = Int(String(decoding: b[11..<13], as: UTF8.self)),
              let minute = Int(String(decoding: b[14..<16], as: UTF8.self)),
              let second = Int(String(decoding: b[17..<19], as: UTF8.self)),
              hour < 24, minute < 60, second < 60
        else { return false }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            if i == start { return false }
        }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return i + 1 == b.count }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6,
              b[i + 3] == UInt8(ascii: ":"), b[(i + 1)..<(i + 3)].allSatisfy(isDigit),
              b[(i + 4)..<(i + 6)].allSatisfy(isDigit) else { return false }
        return true
    }

    /// go-openapi's durations: Go's `time.ParseDuration` form (`1h30m`, `-1.5s`) or a number and a
    /// unit word (`3 days`, `1 week`).
    static func isDuration(_ s: String) -> Bool {
        if isGoDuration(s) { return true }
        let units: Set<String> = [
            "ns", "us", "µs", "ms", "s", "m", "h", "d", "w",
            "nanosecond", "nanoseconds", "microsecond", "microseconds", "millisecond", "milliseconds",
            "second", "seconds", "sec", "secs", "minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs",
            "day", "days", "week", "weeks", "wk", "wks",
        ]
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count, CharacterSet.decimalDigits.contains(scalars[i]) { i += 1 }
        guard i > 0 else { return false }
        while i < scalars.count, scalars[i] == " " { i += 1 }
        var unit = String.UnicodeScalarView()
        unit.append(contentsOf: scalars[i...])
        return units.contains(String(unit))
    }

    /// Go's `time.ParseDuration`.
    static func isGoDuration(_ s: String) -> Bool {
        var rest = Substring(s)
        if rest.hasPrefix("-") || rest.hasPrefix("+") { rest = rest.dropFirst() }
        if rest == "0" { return true }
        guard !rest.isEmpty else { return false }
        let units = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != "." else { return false }
            rest = rest.dropFirst(number.count)
            guard let unit = units.sorted(by: { $0.count > $1.count }).first(where: { rest.hasPrefix($0) }) else {
                return false
            }
            rest = rest.dropFirst(unit.count)
        }
        return true
    }
}
