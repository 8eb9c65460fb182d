import KyvernAPI

/// A resource quantity (`500m`, `1.5Gi`, `2e3`) written the way upstream always writes it back.
///
/// Upstream keeps a quantity as a number and its format (decimal SI, binary SI or decimal exponent)
/// and prints the shortest exact form: `0.5` is `500m`, `1024Mi` is `1Gi`, `1000` is `1k`, a binary
/// amount under 1024 or with a fraction is printed in decimal. Resource lists (requests, limits,
/// capacities) are also rounded up to thousandths.
enum CanonicalQuantity {
    enum Format { case decimalSI, binarySI, decimalExponent }

    static let decimalSuffixes: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
    static let binarySuffixes: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]

    /// The canonical text of a quantity, or nil when it does not parse (or is too large to be
    /// handled exactly here), in which case the caller keeps the text as given.
    /// `minimumScale` rounds up (away from zero) to that power of ten, e.g. -3 for resource lists.
    static func format(_ text: String, minimumScale: Int = -9) -> String? {
        guard var (negative, mantissa, scale, binaryExponent, format) = parse(text) else { return nil }
        if binaryExponent > 0 {
            for _ in 0..<(binaryExponent / 10) {
                let (product, overflow) = mantissa.multipliedReportingOverflow(by: 1024)
                if overflow { return nil }
                mantissa = product
            }
        }
        // Upstream keeps at most nano precision, and resource lists milli precision, rounding up.
        let floor = max(minimumScale, -9)
        if scale < floor {
            var divisor: Int64 = 1
            for _ in 0..<(floor - scale) {
                let (product, overflow) = divisor.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                divisor = product
            }
            mantissa = mantissa / divisor + (mantissa % divisor == 0 ? 0 : 1)
            scale = floor
        }
        if mantissa == 0 { return "0" }
        // Strip factors of ten into the exponent.
        while mantissa % 10 == 0 {
            mantissa /= 10
            scale += 1
        }
        if format == .binarySI {
            if scale >= 0, let whole = scaled(mantissa, by: scale), whole >= 1024 {
                var amount = whole, exponent = 0
                while amount % 1024 == 0 && exponent < 60 {
                    amount /= 1024
                    exponent += 10
                }
                let suffix = binarySuffixes.first { $0.value == exponent }?.key ?? ""
                return (negative ? "-" : "") + String(amount) + suffix
            }
            format = .decimalSI
        }
        // Bring the exponent down to a multiple of three.
        let remainder = ((scale % 3) + 3) % 3
        if remainder != 0 {
            guard let widened = scaled(mantissa, by: remainder) else { return nil }
            mantissa = widened
            scale -= remainder
        }
        let suffix: String
        switch format {
        case .decimalExponent:
            suffix = scale == 0 ? "" : "e\(scale)"
        default:
            guard let si = decimalSuffixes.first(where: { $0.value == scale })?.key else { return nil }
            suffix = si
        }
        return (negative ? "-" : "") + String(mantissa) + suffix
    }

    /// `value × 10^power`, nil on overflow.
    private static func scaled(_ value: Int64, by power: Int) -> Int64? {
        var result = value
        for _ in 0..<power {
            let (product, overflow) = result.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            result = product
        }
        return result
    }

    /// Sign, digits as an integer, the power of ten they are scaled by, the power of two of a
    /// binary suffix, and the format the suffix implies.
    private static func parse(_ text: String) -> (Bool, Int64, Int, Int, Format)? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        let integerDigits = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(integerDigits.count)
        var fractionDigits: Substring = ""
        if rest.first == "." {
            rest = rest.dropFirst()
            fractionDigits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(fractionDigits.count)
        }
        guard !(integerDigits.isEmpty && fractionDigits.isEmpty) else { return nil }
        var scale = -fractionDigits.count
        var binaryExponent = 0
        let format: Format
        if let decimal = decimalSuffixes[String(rest)] {
            scale += decimal
            format = .decimalSI
        } else if let binary = binarySuffixes[String(rest)] {
            binaryExponent = binary
            format = .binarySI
        } else if let e = rest.first, e == "e" || e == "E", let exponent = Int(rest.dropFirst()), abs(exponent) < 100 {
            scale += exponent
            format = .decimalExponent
        } else {
            return nil
        }
        var digits = (integerDigits + fractionDigits).drop { $0 == "0" }
        // Trailing zeros of the fraction carry no value; dropping them keeps big inputs in range.
        while digits.last == "0" && scale < 0 {
            digits = digits.dropLast()
            scale += 1
        }
        if digits.isEmpty { return (negative, 0, 0, 0, format) }
        guard digits.count <= 18, let mantissa = Int64(digits) else { return nil }
        return (negative, mantissa, scale, binaryExponent, format)
    }
}

extension JSONValue {
    /// Rounds every quantity of the resource list member up to thousandths, in canonical form.
    mutating func roundResourceList(_ key: String) {
        guard case .object(var list)? = self[key] else { return }
        for (resource, quantity) in list {
            if let text = quantity.stringValue, let rounded = CanonicalQuantity.format(text, minimumScale: -3) {
                list[resource] = .string(rounded)
            }
        }
        self[key] = .object(list)
    }
}
