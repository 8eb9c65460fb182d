extension Quantity {
    /// Upstream's `CanonicalizeBytes`: the shortest exact spelling in the quantity's format, with the
    /// decimal exponent a multiple of three (`1500m`, `2k`, `1536Mi`, `1e3`).
    public var canonical: String {
        if isZero { return "0" }
        let sign = negative ? "-" : ""
        var format = self.format
        if format == .binarySI {
            let small = DecimalMagnitude.compare(magnitude, DecimalMagnitude(1024)) < 0
            if small || !magnitude.isInteger { format = .decimalSI }
        }
        if format == .binarySI {
            var value = magnitude
            var power = 0
            while power < Self.binaryNames.count - 1, let next = value.exactlyDivided(by: 1024) {
                value = next
                power += 1
            }
            return sign + value.string(atExponent: 0) + Self.binaryNames[power]
        }
        var exponent = magnitude.exponent
        while exponent % 3 != 0 { exponent -= 1 }
        if format == .decimalExponent {
            return sign + magnitude.string(atExponent: exponent) + (exponent == 0 ? "" : "e\(exponent)")
        }
        exponent = min(exponent, 18)
        return sign + magnitude.string(atExponent: exponent) + Self.decimalNames[(exponent + 9) / 3]
    }

    static let binaryNames = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
    static let decimalNames = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"]
}
