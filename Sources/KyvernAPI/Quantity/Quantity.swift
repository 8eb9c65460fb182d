/// An amount of a resource (`100m` CPU, `128Mi` memory), exact as upstream's `resource.Quantity`.
///
/// The scheduler and node agent add and compare requests and limits with it, and the API server
/// validates and normalizes the quantities users send: upstream stores the canonical spelling
/// (`0.5` becomes `500m`, `1.5Gi` becomes `1536Mi`) unless the input already was canonical.
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How the value is written out, chosen by the suffix it was parsed with.
    public enum Format: Sendable, Hashable {
        /// `1e3`, `5E-2`.
        case decimalExponent
        /// Powers of 1024: `Ki`, `Mi`, ... `Ei`.
        case binarySI
        /// Powers of 1000 and plain numbers: `n u m k M G T P E`.
        case decimalSI
    }

    public let format: Format
    let negative: Bool
    let magnitude: DecimalMagnitude
    /// The text as parsed when upstream keeps it verbatim (it already was canonical).
    let cached: String?

    init(negative: Bool, magnitude: DecimalMagnitude, format: Format, cached: String? = nil) {
        self.negative = negative && !magnitude.isZero
        self.magnitude = magnitude
        self.format = format
        self.cached = cached
    }

    /// A whole number of units, e.g. `Quantity(2)` CPUs.
    public init(_ value: Int64, format: Format = .decimalSI) {
        self.init(negative: value < 0, magnitude: DecimalMagnitude(value.magnitude), format: format)
    }

    /// `value` thousandths, e.g. `Quantity(milli: 250)` is `250m`.
    public init(milli value: Int64, format: Format = .decimalSI) {
        let m = DecimalMagnitude(value.magnitude)
        self.init(negative: value < 0, magnitude: DecimalMagnitude(digits: m.digits, exponent: m.exponent - 3), format: format)
    }

    public var isZero: Bool { magnitude.isZero }

    /// -1, 0 or 1.
    public var sign: Int { isZero ? 0 : (negative ? -1 : 1) }

    /// The value in units of 10^`scale`, rounded away from zero (upstream's `ScaledValue`);
    /// saturates at Int64's bounds.
    public func scaledValue(_ scale: Int) -> Int64 {
        let shifted = DecimalMagnitude(digits: magnitude.digits, exponent: magnitude.exponent - scale)
        let rounded = shifted.roundedUp(toScale: 0).value
        guard let integer = rounded.integerValue, integer <= UInt64(Int64.max) else {
            return negative ? Int64.min : Int64.max
        }
        return negative ? -Int64(integer) : Int64(integer)
    }

    /// The value rounded up to a whole unit (bytes, cores).
    public var value: Int64 { scaledValue(0) }

    /// The value in thousandths, rounded up (millicores).
    public var milliValue: Int64 { scaledValue(-3) }

    public static func == (a: Quantity, b: Quantity) -> Bool { a.compare(b) == 0 }

    public static func < (a: Quantity, b: Quantity) -> Bool { a.compare(b) < 0 }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(negative)
        hasher.combine(magnitude)
    }

    /// -1, 0 or 1 as upstream's `Cmp`.
    public func compare(_ other: Quantity) -> Int {
        if sign != other.sign { return sign < other.sign ? -1 : 1 }
        let c = DecimalMagnitude.compare(magnitude, other.magnitude)
        return negative ? -c : c
    }

    /// The sum, in the format of the left operand unless it is zero (as upstream's `Add`).
    public static func + (a: Quantity, b: Quantity) -> Quantity {
        let format = a.isZero ? b.format : a.format
        if a.negative == b.negative {
            return Quantity(negative: a.negative, magnitude: a.magnitude + b.magnitude, format: format)
        }
        if DecimalMagnitude.compare(a.magnitude, b.magnitude) >= 0 {
            return Quantity(negative: a.negative, magnitude: a.magnitude - b.magnitude, format: format)
        }
        return Quantity(negative: b.negative, magnitude: b.magnitude - a.magnitude, format: format)
    }

    public static prefix func - (q: Quantity) -> Quantity {
        Quantity(negative: !q.negative, magnitude: q.magnitude, format: q.format)
    }

    public static func - (a: Quantity, b: Quantity) -> Quantity { a + (-b) }

    /// The spelling upstream serializes: the parsed text when it was canonical, else the canonical form.
    public var description: String { cached ?? canonical }

    /// Rounded away from zero to a multiple of 10^`scale` (upstream's `RoundUp`); an exact value
    /// keeps its spelling, a rounded one is written canonically.
    public func roundedUp(toScale scale: Int) -> Quantity {
        let (rounded, exact) = magnitude.roundedUp(toScale: scale)
        if exact { return self }
        return Quantity(negative: negative, magnitude: rounded, format: format)
    }
}
