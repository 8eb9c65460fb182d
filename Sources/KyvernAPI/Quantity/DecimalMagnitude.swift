/// A non-negative decimal number `digits × 10^exponent` of any size, the exact arithmetic behind
/// `Quantity` (upstream keeps quantities exact too, with int64 or arbitrary-precision decimals).
///
/// Always normalized: no leading zeros, no trailing zeros (they move into `exponent`); zero has no digits.
struct DecimalMagnitude: Sendable, Hashable {
    /// Most significant digit first, each 0...9.
    private(set) var digits: [UInt8]
    private(set) var exponent: Int

    static let zero = DecimalMagnitude(digits: [], exponent: 0)

    init(digits: [UInt8], exponent: Int) {
        var digits = digits[...].drop { $0 == 0 }
        var exponent = exponent
        while let last = digits.last, last == 0 {
            digits.removeLast()
            exponent += 1
        }
        self.digits = Array(digits)
        self.exponent = digits.isEmpty ? 0 : exponent
    }

    init(_ value: UInt64) {
        self.init(digits: String(value).utf8.map { $0 - 48 }, exponent: 0)
    }

    var isZero: Bool { digits.isEmpty }

    /// True when the value has no fractional part.
    var isInteger: Bool { exponent >= 0 }

    /// The position just above the most significant digit: the value is below 10^magnitudeOrder.
    private var order: Int { digits.count + exponent }

    /// The digits padded with zeros so that the last one stands for 10^`lowest` (`lowest` <= exponent).
    private func digits(downTo lowest: Int) -> [UInt8] {
        digits + [UInt8](repeating: 0, count: exponent - lowest)
    }

    static func compare(_ a: DecimalMagnitude, _ b: DecimalMagnitude) -> Int {
        if a.isZero || b.isZero { return (a.isZero ? 0 : 1) - (b.isZero ? 0 : 1) }
        if a.order != b.order { return a.order < b.order ? -1 : 1 }
        let lowest = min(a.exponent, b.exponent)
        let x = a.digits(downTo: lowest), y = b.digits(downTo: lowest)
        for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }

    static func + (a: DecimalMagnitude, b: DecimalMagnitude) -> DecimalMagnitude {
        if a.isZero { return b }
        if b.isZero { return a }
        let lowest = min(a.exponent, b.exponent)
        var x = Array(a.digits(downTo: lowest).reversed()), y = Array(b.digits(downTo: lowest).reversed())
        if x.count < y.count { swap(&x, &y) }
        var carry: UInt8 = 0
        for i in 0..<x.count {
            let sum = x[i] + (i < y.count ? y[i] : 0) + carry
            x[i] = sum % 10
            carry = sum / 10
        }
        if carry > 0 { x.append(carry) }
        return DecimalMagnitude(digits: x.reversed(), exponent: lowest)
    }

    /// `a - b` for `a >= b`.
    static func - (a: DecimalMagnitude, b: DecimalMagnitude) -> DecimalMagnitude {
        if b.isZero { return a }
        let lowest = min(a.exponent, b.exponent)
        var x = Array(a.digits(downTo: lowest).reversed())
        let y = Array(b.digits(downTo: lowest).reversed())
        var borrow: Int = 0
        for i in 0..<x.count {
            var d = Int(x[i]) - (i < y.count ? Int(y[i]) : 0) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 10 }
            x[i] = UInt8(d)
        }
        return DecimalMagnitude(digits: x.reversed(), exponent: lowest)
    }

    /// The value times a small factor (powers of two for binary suffixes).
    func multiplied(by factor: UInt32) -> DecimalMagnitude {
        var result: [UInt8] = []
        var carry: UInt64 = 0
        for digit in digits.reversed() {
            let product = UInt64(digit) * UInt64(factor) + carry
            result.append(UInt8(product % 10))
            carry = product / 10
        }
        while carry > 0 {
            result.append(UInt8(carry % 10))
            carry /= 10
        }
        return DecimalMagnitude(digits: result.reversed(), exponent: exponent)
    }

    /// The quotient when an integer value divides exactly by `divisor`, else nil.
    func exactlyDivided(by divisor: UInt32) -> DecimalMagnitude? {
        guard isInteger, !isZero else { return nil }
        var quotient: [UInt8] = []
        var remainder: UInt64 = 0
        for digit in digits(downTo: 0) {
            remainder = remainder * 10 + UInt64(digit)
            quotient.append(UInt8(remainder / UInt64(divisor)))
            remainder %= UInt64(divisor)
        }
        return remainder == 0 ? DecimalMagnitude(digits: quotient, exponent: 0) : nil
    }

    /// Rounded away from zero so that no digit stands below 10^`scale`; `exact` tells whether nothing was lost.
    func roundedUp(toScale scale: Int) -> (value: DecimalMagnitude, exact: Bool) {
        guard exponent < scale else { return (self, true) }
        let keep = digits.count - (scale - exponent)
        guard keep > 0 else { return (DecimalMagnitude(digits: [1], exponent: scale), false) }
        let kept = DecimalMagnitude(digits: Array(digits[..<keep]), exponent: scale)
        // Normalized digits never end in zero, so something non-zero was dropped.
        return (kept + DecimalMagnitude(digits: [1], exponent: scale), false)
    }

    /// The integer part as UInt64, nil when it does not fit.
    var integerValue: UInt64? {
        var value: UInt64 = 0
        for digit in digits(downTo: min(exponent, 0)).prefix(max(0, order)) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(digit))
            if o1 || o2 { return nil }
            value = s
        }
        return value
    }

    /// The digits of the value times 10^-`exponent` written out (`exponent` <= self.exponent), e.g. "1500".
    func string(atExponent exponent: Int) -> String {
        if isZero { return "0" }
        return String(decoding: digits(downTo: exponent).map { $0 + 48 }, as: UTF8.self)
    }
}
