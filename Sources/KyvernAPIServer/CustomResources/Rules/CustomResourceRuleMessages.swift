import KyvernAPI

/// Upstream's field-error texts for CEL rules (k8s.io/apimachinery field.Error bodies).
enum CustomResourceRuleMessages {
    static let perCallLimit: UInt64 = 1_000_000
    static let runtimeBudget: UInt64 = 10_000_000
    static let estimatedRuleLimit: UInt64 = 10_000_000
    static let estimatedTotalLimit: UInt64 = 100_000_000

    static func invalid(_ field: String, _ value: String, _ detail: String) -> APIError.Cause {
        .init(type: "FieldValueInvalid", message: "Invalid value: \(value): \(detail)", field: field)
    }
    static func forbidden(_ field: String, _ detail: String) -> APIError.Cause {
        .init(type: "FieldValueForbidden", message: "Forbidden: \(detail)", field: field)
    }
    static func required(_ field: String, _ detail: String) -> APIError.Cause {
        .init(type: "FieldValueRequired", message: "Required value: \(detail)", field: field)
    }

    /// The error a failed rule reports, by its `reason` (FieldValueInvalid when unset).
    static func forReason(_ reason: String?, _ field: String, _ schemaType: String, _ detail: String) -> APIError.Cause {
        switch reason {
        case "FieldValueForbidden": return forbidden(field, detail)
        case "FieldValueRequired": return required(field, detail)
        case "FieldValueDuplicate": return .init(type: "FieldValueDuplicate", message: "Duplicate value: \(goQuote(schemaType))", field: field)
        default: return invalid(field, goQuote(schemaType), detail)
        }
    }

    static func costError(_ name: String, _ cost: UInt64, _ limit: UInt64) -> String {
        let factor = Double(cost) / Double(limit)
        let text: String
        if factor > 100 { text = "more than 100x" }
        else if factor < 1.5 { text = String(format6: factor) + "x" }
        else { text = String(format1: factor) + "x" }
        return "\(name) exceeds budget by factor of \(text) (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    }

    /// Go's `%q`.
    static func goQuote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if c.value < 0x20 || c.value == 0x7f { out += "\\x" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16) }
                else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }

    /// The rule as Go's `%#v` prints apiextensions.ValidationRule (the "value" of a compile error).
    static func ruleValue(_ rule: JSONValue) -> String {
        func s(_ k: String) -> String { goQuote(rule[k]?.stringValue ?? "") }
        let reason = rule[ "reason"]?.stringValue.map { "(*apiextensions.FieldValueErrorReason)(\(goQuote($0)))" } ?? "(*apiextensions.FieldValueErrorReason)(nil)"
        let optional = rule["optionalOldSelf"]?.boolValue.map { "(*bool)(\($0))" } ?? "(*bool)(nil)"
        return "apiextensions.ValidationRule{Rule:\(s("rule")), Message:\(s("message")), MessageExpression:\(s("messageExpression")), Reason:\(reason), FieldPath:\(s("fieldPath")), OptionalOldSelf:\(optional)}"
    }
}

extension String {
    /// Go's `%f` (six decimals) and `%.1f`.
    init(format6 v: Double) { self = Self.fixed(v, 6) }
    init(format1 v: Double) { self = Self.fixed(v, 1) }
    private static func fixed(_ v: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let r = (v * scale).rounded()
        let whole = Int64(r / scale)
        var frac = String(Int64(abs(r) - Double(abs(whole)) * scale))
        while frac.count < places { frac = "0" + frac }
        return "\(whole)." + frac
    }
}
