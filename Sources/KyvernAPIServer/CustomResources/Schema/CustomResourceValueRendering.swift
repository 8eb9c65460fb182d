import KyvernAPI

/// How upstream's Go code prints values inside schema messages; users and tools compare these strings.
enum CustomResourceValueRendering {
    /// Go's `%v` of a float64: the shortest digits that round-trip, in exponent form when the
    /// decimal exponent is below -4 or at least 6 (`1e+06`, `1e-05`), otherwise plain (`123456`, `2.5`).
    static func goFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        let (negative, digits, pointPosition) = shortestDigits(d)
        let exponent = pointPosition - 1
        var out = negative ? "-" : ""
        if exponent < -4 || exponent >= 6 {
            out += String(digits.first!)
            if digits.count > 1 { out += "." + String(digits.dropFirst()) }
            out += exponent < 0 ? "e-" : "e+"
            let magnitude = abs(exponent)
            out += magnitude < 10 ? "0\(magnitude)" : "\(magnitude)"
            return out
        }
        if pointPosition <= 0 {
            return out + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return out + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let index = digits.index(digits.startIndex, offsetBy: pointPosition)
        return out + digits[..<index] + "." + digits[index...]
    }

    /// The significant decimal digits of `d` (no leading/trailing zeros) and where the decimal point
    /// falls relative to them, taken from Swift's shortest round-trip description.
    private static func shortestDigits(_ d: Double) -> (negative: Bool, digits: String, pointPosition: Int) {
        var text = "\(abs(d))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var point = integer.count + exponent
        while digits.first == "0" && digits.count > 1 {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" && digits.count > 1 { digits.removeLast() }
        return (d < 0, digits, point)
    }

    /// Go's `%#v` of an unstructured value (`map[string]interface {}{"name":"a"}`), which upstream
    /// prints for compound bad values such as a duplicate list-map key.
    static func goSyntax(_ value: JSONValue) -> String {
        switch value {
        case .null: return "interface {}(nil)"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return goFloat(d)
        case .string(let s): return goQuote(s)
        case .array(let elements):
            return "[]interface {}{" + elements.map(goSyntax).joined(separator: ", ") + "}"
        case .object(let members):
            let pairs = members.keys.sorted().map { "\(goQuote($0)):\(goSyntax(members[$0]!))" }
            return "map[string]interface {}{" + pairs.joined(separator: ", ") + "}"
        }
    }

    /// A bad value as `field.Error.ErrorBody` prints it: scalars with `%v`/`%q`, compounds with `%#v`.
    static func badValue(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .double(let d): return goFloat(d)
        case .array, .object: return goSyntax(value)
        default: return renderBadValue(value)
        }
    }
}

extension APIError.Cause {
    /// `FieldValueInvalid` with the value printed as upstream's field errors print it.
    static func schemaInvalid(_ field: String, _ value: JSONValue, _ detail: String) -> Self {
        Self(type: "FieldValueInvalid",
             message: "Invalid value: \(CustomResourceValueRendering.badValue(value)): \(detail)", field: field)
    }

    /// `FieldValueTypeInvalid` with the value printed as upstream's field errors print it.
    static func schemaTypeInvalid(_ field: String, _ value: JSONValue, _ detail: String) -> Self {
        Self(type: "FieldValueTypeInvalid",
             message: "Invalid value: \(CustomResourceValueRendering.badValue(value)): \(detail)", field: field)
    }

    /// `FieldValueTooLong`: `Too long: must have at most 5 bytes` (the value is never echoed).
    static func schemaTooLong(_ field: String, max: Int64) -> Self {
        let detail = max >= 0 ? "must have at most \(max) \(max == 1 ? "byte" : "bytes")" : "value is too long"
        return Self(type: "FieldValueTooLong", message: "Too long: \(detail)", field: field)
    }

    /// `FieldValueTooMany`: `Too many: 4: must have at most 3 items`.
    static func schemaTooMany(_ field: String, actual: Int64, max: Int64) -> Self {
        let detail = max >= 0 ? "must have at most \(max) \(max == 1 ? "item" : "items")" : "has too many items"
        let head = actual >= 0 ? "Too many: \(actual)" : "Too many"
        return Self(type: "FieldValueTooMany", message: "\(head): \(detail)", field: field)
    }

    /// `FieldValueDuplicate` with the value printed as upstream's field errors print it.
    static func schemaDuplicate(_ field: String, _ value: JSONValue) -> Self {
        Self(type: "FieldValueDuplicate", message: "Duplicate value: \(CustomResourceValueRendering.badValue(value))",
             field: field)
    }
}
