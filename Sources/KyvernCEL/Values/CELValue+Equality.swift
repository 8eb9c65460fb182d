import KyvernAPI

/// CEL's equality and ordering: numbers compare across int, uint and double (heterogeneous equality),
/// other kinds only with their own kind; a mismatch is `false` for `==`, "no such overload" for `<`.
extension CELValue {
    public func celEquals(_ other: CELValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.duration(let a), .duration(let b)): return a == b
        case (.timestamp(let s1, let n1), .timestamp(let s2, let n2)): return s1 == s2 && n1 == n2
        case (.type(let a), .type(let b)): return a.runtimeName == b.runtimeName
        case (.list(let a), .list(let b)):
            guard a.count == b.count else { return false }
            return zip(a, b).allSatisfy { $0.celEquals($1) }
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a.entries {
                guard let w = b[k], v.celEquals(w) else { return false }
            }
            return true
        case (.optional(let a), .optional(let b)):
            switch (a, b) {
            case (nil, nil): return true
            case (let x?, let y?): return x.celEquals(y)
            default: return false
            }
        case (.quantity(let a), .quantity(let b)): return a.quantity == b.quantity
        case (.url(let a), .url(let b)): return a.text == b.text
        default:
            if let c = numericCompare(other) { return c == 0 }
            return false
        }
    }

    /// -1, 0, 1 for two numbers of any numeric kind; nil when either is not a number (or NaN is involved).
    func numericCompare(_ other: CELValue) -> Int? {
        switch (self, other) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.uint(let a), .uint(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.double(let a), .double(let b)):
            if a.isNaN || b.isNaN { return nil }
            return a < b ? -1 : (a > b ? 1 : 0)
        case (.int(let a), .uint(let b)): return a < 0 ? -1 : CELValue.uint(UInt64(a)).numericCompare(.uint(b))
        case (.uint, .int): return other.numericCompare(self).map { -$0 }
        case (.int(let a), .double(let b)): return Self.compareIntDouble(a, b)
        case (.double(let a), .int(let b)): return Self.compareIntDouble(b, a).map { -$0 }
        case (.uint(let a), .double(let b)):
            if b.isNaN { return nil }
            let d = Double(a)
            return d < b ? -1 : (d > b ? 1 : 0)
        case (.double, .uint): return other.numericCompare(self).map { -$0 }
        default: return nil
        }
    }

    private static func compareIntDouble(_ a: Int64, _ b: Double) -> Int? {
        if b.isNaN { return nil }
        // CEL compares an int with a double as doubles.
        let d = Double(a)
        return d < b ? -1 : (d > b ? 1 : 0)
    }

    var doubleValue: Double? { if case .double(let d) = self { return d }; return nil }

    /// Ordering for `<`, `<=`, `>`, `>=`; nil when the kinds have no ordering together.
    func celCompare(_ other: CELValue) -> Int? {
        switch (self, other) {
        case (.bool(let a), .bool(let b)): return a == b ? 0 : (a ? 1 : -1)
        case (.string(let a), .string(let b)):
            // Code point order, as Go compares strings byte-wise in UTF-8.
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : (a == b ? 0 : 1)
        case (.bytes(let a), .bytes(let b)): return a.lexicographicallyPrecedes(b) ? -1 : (a == b ? 0 : 1)
        case (.duration(let a), .duration(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.timestamp(let s1, let n1), .timestamp(let s2, let n2)):
            return (s1, n1) < (s2, n2) ? -1 : ((s1, n1) == (s2, n2) ? 0 : 1)
        case (.quantity(let a), .quantity(let b)): return a.quantity.compare(b.quantity)
        default: return numericCompare(other)
        }
    }
}
