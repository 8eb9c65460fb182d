extension Quantity {
    /// Parses `text` as upstream's `ParseQuantity` does: an optional sign, digits with at most one
    /// point, then a suffix (`m`, `Ki`, `e3`, ...). Values finer than 1n round up to 1n; binary values
    /// above 2^63-1 are capped there.
    public init(parsing text: String) throws(QuantityError) {
        if text.isEmpty { throw .formatWrong }
        if text == "0" {
            self.init(negative: false, magnitude: .zero, format: .decimalSI, cached: text)
            return
        }
        let parts = try Self.scan(Array(text.utf8))
        guard let (base, exponent, parsedFormat) = Self.interpret(parts.suffix) else { throw .suffix }

        let digits = (parts.numerator + parts.denominator).map { $0 - 48 }
        var magnitude: DecimalMagnitude
        if base == 10 {
            magnitude = DecimalMagnitude(digits: digits, exponent: exponent - parts.denominator.count)
        } else {
            magnitude = DecimalMagnitude(digits: digits, exponent: -parts.denominator.count)
            for _ in 0..<(exponent / 10) { magnitude = magnitude.multiplied(by: 1024) }
        }
        magnitude = magnitude.roundedUp(toScale: -9).value
        var format = parsedFormat
        if format == .binarySI {
            let max = DecimalMagnitude(UInt64(Int64.max))
            if DecimalMagnitude.compare(magnitude, max) > 0 { magnitude = max }
            if DecimalMagnitude.compare(magnitude, DecimalMagnitude(1)) < 0 && !magnitude.isZero { format = .decimalSI }
        }
        let cached = Self.keepsText(parts, base: base, exponent: exponent, format: format) ? text : nil
        self.init(negative: !parts.positive, magnitude: magnitude, format: format, cached: cached)
    }

    /// The pieces of a quantity's text: sign, digits before and after the point, suffix.
    struct Parts {
        var positive = true
        /// Without leading zeros; "0" when there were no other digits.
        var numerator: [UInt8] = []
        var denominator: [UInt8] = []
        var suffix: [UInt8] = []
    }

    /// Upstream's `parseQuantityString` scanner, whose quirks (`-` alone reads as zero) it keeps.
    static func scan(_ s: [UInt8]) throws(QuantityError) -> Parts {
        var parts = Parts()
        var pos = 0
        let end = s.count
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        if pos < end, s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") {
            parts.positive = s[0] == UInt8(ascii: "+")
            pos += 1
        }
        while pos < end, s[pos] == UInt8(ascii: "0") { pos += 1 }
        if pos >= end {
            parts.numerator = [48]
            return parts
        }
        let numStart = pos
        while pos < end, isDigit(s[pos]) { pos += 1 }
        parts.numerator = Array(s[numStart..<pos])
        if pos >= end { return parts }
        if parts.numerator.isEmpty { parts.numerator = [48] }
        if s[pos] == UInt8(ascii: ".") {
            pos += 1
            let denomStart = pos
            while pos < end, isDigit(s[pos]) { pos += 1 }
            parts.denominator = Array(s[denomStart..<pos])
            if pos >= end { return parts }
        }
        let suffixStart = pos
        let letters = Set("eEinumkKMGTP".utf8)
        while pos < end, letters.contains(s[pos]) { pos += 1 }
        if pos < end, s[pos] == UInt8(ascii: "-") || s[pos] == UInt8(ascii: "+") { pos += 1 }
        while pos < end, isDigit(s[pos]) { pos += 1 }
        guard pos >= end else { throw .formatWrong }
        parts.suffix = Array(s[suffixStart..<end])
        return parts
    }

    static let decimalSuffixes: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
    static let binarySuffixes: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]

    /// Upstream's `suffixer.interpret`: base, exponent and format of a suffix.
    static func interpret(_ suffix: [UInt8]) -> (base: Int, exponent: Int, format: Format)? {
        let text = String(decoding: suffix, as: UTF8.self)
        if let e = decimalSuffixes[text] { return (10, e, .decimalSI) }
        if let e = binarySuffixes[text] { return (2, e, .binarySI) }
        if suffix.count > 1, suffix[0] == UInt8(ascii: "e") || suffix[0] == UInt8(ascii: "E"),
           let e = Int64(String(decoding: suffix.dropFirst(), as: UTF8.self)) {
            return (10, Int(Int32(truncatingIfNeeded: e)), .decimalExponent)
        }
        return nil
    }

    /// Upstream reuses the parsed text on its int64 fast path when it is already canonical.
    static func keepsText(_ parts: Parts, base: Int, exponent: Int, format: Format) -> Bool {
        let shifted = parts.numerator + parts.denominator
        guard let value = Int64(String(decoding: shifted, as: UTF8.self)) else { return false }
        switch format {
        case .decimalSI, .decimalExponent:
            guard 18 - shifted.count >= 0 else { return false }
            let scale = exponent - parts.denominator.count
            guard scale >= -9 else { return false }
            return scale % 3 == 0 && !(shifted.count >= 3 && shifted.suffix(3) == [48, 48, 48]) && shifted[0] != 48
        case .binarySI:
            guard base == 2, exponent >= 0, parts.denominator.isEmpty else { return false }
            let precision = 15 - parts.numerator.count - Int(Float(exponent) * 3 / 10) - 1
            guard precision >= 0 else { return false }
            let (_, overflow) = value.multipliedReportingOverflow(by: Int64(1) << Int64(exponent))
            return !overflow && exponent % 10 == 0 && value & 7 != 0
        }
    }
}
