import KyvernAPI

/// Kubernetes' quantity library: `quantity("1Gi")`, `isQuantity`, arithmetic and comparisons.
enum CELQuantityLibrary {
    static let type = CELType.opaque("kubernetes.Quantity")

    static func add(_ t: inout CELFunctionTable) {
        let q = type
        @Sendable func quantity(_ v: CELValue, _ name: String) throws(CELEvalError) -> Quantity {
            switch v {
            case .quantity(let x): return x.quantity
            case .int(let i): return Quantity(i)
            default: throw .noSuchOverload(name)
            }
        }
        t.add("quantity", [.init("string_to_quantity", [.string], q)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let s) = a[0] else { throw .noSuchOverload("quantity") }
            do { return .quantity(CELQuantity(try Quantity(parsing: s))) } catch {
                throw CELEvalError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
            }
        }
        t.add("isQuantity", [.init("is_quantity_string", [.string], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let s) = a[0] else { throw .noSuchOverload("isQuantity") }
            return .bool((try? Quantity(parsing: s)) != nil)
        }
        t.add("sign", [.init("quantity_sign", member: true, [q], .int)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .int(Int64(try quantity(a[0], "sign").sign))
        }
        t.add("isInteger", [.init("quantity_is_integer", member: true, [q], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let x = try quantity(a[0], "isInteger")
            return .bool(Quantity(x.value) == x)
        }
        t.add("asInteger", [.init("quantity_get_integer", member: true, [q], .int)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let x = try quantity(a[0], "asInteger")
            guard Quantity(x.value) == x, x.value != Int64.max, x.value != Int64.min else {
                throw CELEvalError("cannot convert value to integer")
            }
            return .int(x.value)
        }
        t.add("asApproximateFloat", [.init("quantity_get_float", member: true, [q], .double)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let x = try quantity(a[0], "asApproximateFloat")
            return .double(approximate(x))
        }
        for (name, sign) in [("add", 1), ("sub", -1)] {
            t.add(name, [.init("quantity_\(name)", member: true, [q, q], q), .init("quantity_\(name)_int", member: true, [q, .int], q)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
                let x = try quantity(a[0], name), y = try quantity(a[1], name)
                return .quantity(CELQuantity(sign > 0 ? x + y : x - y))
            }
        }
        t.add("compareTo", [.init("quantity_compare_to", member: true, [q, q], .int)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .int(Int64(try quantity(a[0], "compareTo").compare(try quantity(a[1], "compareTo"))))
        }
        t.add("isLessThan", [.init("quantity_less", member: true, [q, q], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .bool(try quantity(a[0], "isLessThan") < quantity(a[1], "isLessThan"))
        }
        t.add("isGreaterThan", [.init("quantity_greater", member: true, [q, q], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .bool(try quantity(a[0], "isGreaterThan") > quantity(a[1], "isGreaterThan"))
        }
    }

    /// The quantity's value as a double, from its milli-units where they fit.
    static func approximate(_ x: Quantity) -> Double {
        let m = x.milliValue
        if m != Int64.max && m != Int64.min { return Double(m) / 1000 }
        return Double(x.value)
    }
}
