import KyvernAPI

/// The OpenAPI v3 validation upstream runs on custom resources (kube-openapi's schema validator),
/// with its messages and its quirks: the keywords' checks, the order they run in, which ones stop at
/// the first problem, and how the results of `anyOf`/`oneOf` branches are chosen.
///
/// Errors are collected in kube-openapi's shape (a dotted name, a code, the bad value) and turned
/// into field causes the way apiextensions does, so both the message and the cause type match.
struct CustomResourceSchemaValidator {
    /// One kube-openapi validation error before conversion to a field cause.
    struct Failure: Equatable {
        enum Code: Equatable {
            case invalidType, required, tooLong, enumFail, maxItems, tooManyProperties
            /// Any other `*errors.Validation` (min/max, pattern, minItems, unique, ...): `field.Invalid`.
            case other
            /// A composite message (anyOf/oneOf/allOf/not): reported on the root with an empty value.
            case composite
        }
        var code: Code
        var name: String
        var value: JSONValue?
        var valid: Int64? = nil
        var enumValues: [JSONValue] = []
        var message: String
    }

    /// What validating one value produced; `matchCount` ranks failing `anyOf`/`oneOf` branches.
    struct Outcome {
        var failures: [Failure] = []
        var matchCount = 0

        var isValid: Bool { failures.isEmpty }

        /// kube-openapi keeps each message once.
        mutating func add(_ failure: Failure) {
            if !failures.contains(where: { $0.message == failure.message }) { failures.append(failure) }
        }

        mutating func merge(_ other: Outcome) {
            for f in other.failures { add(f) }
            matchCount += other.matchCount
        }
    }

    static let inBody = "body"

    /// Validates `data`; `old` is the correlated value of the stored object on update, if any.
    ///
    /// Upstream ratchets (CRDValidationRatcheting, on by default): problems in a value equal to the
    /// one stored are not reported, so a tightened schema does not block unrelated updates.
    static func validate(_ data: JSONValue, _ schema: StructuralSchemaNode, path: String, old: JSONValue? = nil) -> Outcome {
        let outcome = validateValue(data, schema, path: path, old: old)
        if let old, !outcome.isValid, old == data { return Outcome(matchCount: outcome.matchCount) }
        return outcome
    }

    /// The item of the old list a new item correlates with: only `x-kubernetes-list-type: map`
    /// lists correlate, by their keys.
    static func correlatedItem(_ element: JSONValue, in old: JSONValue?, schema: StructuralSchemaNode) -> JSONValue? {
        guard schema.listType == "map", !schema.listMapKeys.isEmpty, let oldItems = old?.arrayValue else { return nil }
        let key = schema.listMapKeys.map { element[$0] }
        return oldItems.first { candidate in schema.listMapKeys.map { candidate[$0] } == key }
    }

    static func validateValue(_ data: JSONValue, _ schema: StructuralSchemaNode, path: String, old: JSONValue?) -> Outcome {
        var result = Outcome()
        if data.isNull {
            result.merge(typeCheck(data, schema, path: path))
            result.merge(enumCheck(data, schema, path: path))
            return result
        }
        var applied = 0
        func run(_ outcome: Outcome) {
            result.merge(outcome)
            applied += 1
        }
        if !schema.types.isEmpty || !schema.format.isEmpty { run(typeCheck(data, schema, path: path)) }
        run(compositionCheck(data, schema, path: path, old: old))
        if case .string(let s) = data {
            run(stringCheck(s, schema, path: path))
            if !schema.format.isEmpty { run(formatCheck(s, schema, path: path)) }
        }
        if case .int = data { run(numberCheck(data, schema, path: path)) }
        if case .double = data { run(numberCheck(data, schema, path: path)) }
        if case .array(let elements) = data { run(sliceCheck(elements, schema, path: path, old: old)) }
        run(enumCheck(data, schema, path: path))
        if case .object(let members) = data { run(objectCheck(members, schema, path: path, old: old)) }
        result.matchCount += applied + 1
        return result
    }

    // MARK: type

    static func schemaType(of data: JSONValue) -> (type: String, format: String) {
        switch data {
        case .bool: ("boolean", "")
        case .string: ("string", "")
        case .int: ("integer", "int64")
        case .double: ("number", "float64")
        case .array: ("array", "")
        case .object: ("object", "")
        case .null: ("null", "")
        }
    }

    static func invalidType(_ name: String, _ typeName: String, _ value: String) -> Failure {
        Failure(code: .invalidType, name: name, value: .string(value),
                message: "\(name) in \(inBody) must be of type \(typeName): \(goQuote(value))")
    }

    static func typeCheck(_ data: JSONValue, _ schema: StructuralSchemaNode, path: String) -> Outcome {
        var result = Outcome(matchCount: 1)
        let types = schema.types
        if data.isNull {
            if !types.isEmpty && !types.contains("null") && !schema.nullable {
                result.add(invalidType(path, types.joined(separator: ","), "null"))
            }
            return result
        }
        let (type, format) = schemaType(of: data)
        var isFloatInt = false
        if case .double(let d) = data { isFloatInt = isJSONInteger(d) && types.contains("integer") }
        let isIntFloat = type == "integer" && types.contains("number")
        let isStringOrArray: Bool
        switch data {
        case .string, .array: isStringOrArray = true
        default: isStringOrArray = false
        }
        if !isStringOrArray && !schema.format.isEmpty
            && !(types.contains(type) || format == schema.format || isFloatInt || isIntFloat) {
            result.add(invalidType(path, schema.format, format))
            return result
        }
        if !(types.contains("number") || types.contains("integer")) && !schema.format.isEmpty && isStringOrArray {
            return result
        }
        if !(types.contains(type) || isFloatInt || isIntFloat) {
            result.add(invalidType(path, types.joined(separator: ","), type))
        }
        return result
    }

    /// go-openapi's `IsFloat64AJSONInteger`: integral within ±2^53, allowing a tiny relative error.
    static func isJSONInteger(_ f: Double) -> Bool {
        guard f.isFinite, f >= -9007199254740992, f <= 9007199254740992 else { return false }
        let g = f.rounded(.towardZero)
        if f == g { return true }
        let diff = abs(f - g)
        return diff / min(abs(f) + abs(g), Double.greatestFiniteMagnitude) < 1e-9
    }

    // MARK: string and format

    static func stringCheck(_ s: String, _ schema: StructuralSchemaNode, path: String) -> Outcome {
        var result = Outcome()
        let length = Int64(s.unicodeScalars.count)
        if let max = schema.maxLength, length > max {
            result.add(Failure(code: .tooLong, name: path, value: .string(s), valid: max,
                               message: "\(path) in \(inBody) should be at most \(max) chars long"))
            return result
        }
        if let min = schema.minLength, length < min {
            result.add(Failure(code: .other, name: path, value: .string(s),
                               message: "\(path) in \(inBody) should be at least \(min) chars long"))
            return result
        }
        if let pattern = schema.pattern {
            if let error = pattern.compileError {
                result.add(Failure(code: .other, name: path, value: .string(s),
                                   message: "\(path) in \(inBody) should match '\(pattern.source), but pattern is invalid: \(error)'"))
            } else if !pattern.matches(s) {
                result.add(Failure(code: .other, name: path, value: .string(s),
                                   message: "\(path) in \(inBody) should match '\(pattern.source)'"))
            }
        }
        return result
    }

    static func formatCheck(_ s: String, _ schema: StructuralSchemaNode, path: String) -> Outcome {
        var result = Outcome()
        if !CustomResourceFormats.validates(schema.format, s) {
            result.add(invalidType(path, schema.format, s))
        }
        return result
    }

    // MARK: numbers

    /// kube-openapi compares integers as integers (bounds truncated to int64) and other numbers as
    /// float64; the order of its results is multipleOf, minimum, maximum.
    static func numberCheck(_ data: JSONValue, _ schema: StructuralSchemaNode, path: String) -> Outcome {
        var result = Outcome(matchCount: 1)
        let isInt: Bool
        let intValue: Int64
        let floatValue: Double
        switch data {
        case .int(let i): isInt = true; intValue = i; floatValue = Double(i)
        case .double(let d): isInt = false; intValue = 0; floatValue = d
        default: return result
        }
        if let factor = schema.multipleOf {
            if isInt && Int64(exactly: factor.rounded(.towardZero)) != nil && Int64(factor) != 0 {
                let f = Int64(factor)
                if f < 0 {
                    result.add(Failure(code: .other, name: path, value: .int(f),
                                       message: "factor MultipleOf declared for \(path) must be positive: \(f)"))
                } else if intValue % f != 0 {
                    result.add(Failure(code: .other, name: path, value: data,
                                       message: "\(path) in \(inBody) should be a multiple of \(f)"))
                }
            } else if factor < 0 {
                result.add(Failure(code: .other, name: path, value: .double(factor),
                                   message: "factor MultipleOf declared for \(path) must be positive: \(CustomResourceValueRendering.goFloat(factor))"))
            } else {
                let mult = factor < 1 ? 1 / factor * floatValue : floatValue / factor
                if !isJSONInteger(mult) {
                    result.add(Failure(code: .other, name: path, value: data,
                                       message: "\(path) in \(inBody) should be a multiple of \(CustomResourceValueRendering.goFloat(factor))"))
                }
            }
        }
        if let minimum = schema.minimum {
            let exclusive = schema.exclusiveMinimum
            let failed: Bool
            let bound: String
            if isInt, let m = Int64(exactly: minimum.rounded(.towardZero)) {
                failed = exclusive ? intValue <= m : intValue < m
                bound = String(m)
            } else {
                failed = exclusive ? floatValue <= minimum : floatValue < minimum
                bound = CustomResourceValueRendering.goFloat(minimum)
            }
            if failed {
                let relation = exclusive ? "greater than" : "greater than or equal to"
                result.add(Failure(code: .other, name: path, value: data,
                                   message: "\(path) in \(inBody) should be \(relation) \(bound)"))
            }
        }
        if let maximum = schema.maximum {
            let exclusive = schema.exclusiveMaximum
            let failed: Bool
            let bound: String
            if isInt, let m = Int64(exactly: maximum.rounded(.towardZero)) {
                failed = exclusive ? intValue >= m : intValue > m
                bound = String(m)
            } else {
                failed = exclusive ? floatValue >= maximum : floatValue > maximum
                bound = CustomResourceValueRendering.goFloat(maximum)
            }
            if failed {
                let relation = exclusive ? "less than" : "less than or equal to"
                result.add(Failure(code: .other, name: path, value: data,
                                   message: "\(path) in \(inBody) should be \(relation) \(bound)"))
            }
        }
        return result
    }

    // MARK: arrays

    static func sliceCheck(_ elements: [JSONValue], _ schema: StructuralSchemaNode, path: String, old: JSONValue? = nil) -> Outcome {
        var result = Outcome()
        if let items = schema.items {
            for (i, element) in elements.enumerated() {
                result.merge(validate(element, items, path: "\(path)[\(i)]",
                                      old: correlatedItem(element, in: old, schema: schema)))
            }
        }
        let size = Int64(elements.count)
        if let min = schema.minItems, size < min {
            result.add(Failure(code: .other, name: path, value: .int(size),
                               message: "\(path) in \(inBody) should have at least \(min) items"))
        }
        if let max = schema.maxItems, size > max {
            result.add(Failure(code: .maxItems, name: path, value: .int(size), valid: max,
                               message: "\(path) in \(inBody) should have at most \(max) items"))
        }
        if schema.uniqueItems {
            var seen: [JSONValue] = []
            for element in elements {
                if seen.contains(where: { deepEqual($0, element) }) {
                    result.add(Failure(code: .other, name: path, value: nil,
                                       message: "\(path) in \(inBody) shouldn't contain duplicates"))
                    break
                }
                seen.append(element)
            }
        }
        result.matchCount += 1
        return result
    }

    /// Go's `reflect.DeepEqual` on decoded JSON: an integer and a float are different values.
    static func deepEqual(_ a: JSONValue, _ b: JSONValue) -> Bool { a == b }

    // MARK: enum

    static func enumCheck(_ data: JSONValue, _ schema: StructuralSchemaNode, path: String) -> Outcome {
        var result = Outcome()
        guard let values = schema.enumValues, !values.isEmpty else { return result }
        if !data.isNull {
            for allowed in values where enumMatches(data, allowed) { return result }
        }
        result.add(Failure(code: .enumFail, name: path, value: data, enumValues: values,
                           message: "\(path) in \(inBody) should be one of \(goList(values))"))
        return result
    }

    /// A match after converting the value to the enum entry's Go type, as kube-openapi does
    /// (so numbers compare across integer and float).
    static func enumMatches(_ data: JSONValue, _ allowed: JSONValue) -> Bool {
        if data == allowed { return true }
        switch (data, allowed) {
        case (.int(let i), .double(let d)): return Double(i) == d
        case (.double(let d), .int(let i)): return d.isFinite && Int64(exactly: d.rounded(.towardZero)) == i
        default: return false
        }
    }

    /// Go's `%v` of a `[]interface{}`: `[a 1 true]`.
    static func goList(_ values: [JSONValue]) -> String {
        "[" + values.map(goPlain).joined(separator: " ") + "]"
    }

    static func goPlain(_ value: JSONValue) -> String {
        switch value {
        case .null: "<nil>"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): CustomResourceValueRendering.goFloat(d)
        case .string(let s): s
        case .array(let a): goList(a)
        case .object(let o): "map[" + o.keys.sorted().map { "\($0):\(goPlain(o[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    // MARK: objects

    static func objectCheck(_ members: [String: JSONValue], _ schema: StructuralSchemaNode, path: String,
                            old: JSONValue? = nil) -> Outcome {
        var result = Outcome()
        let count = Int64(members.count)
        if let min = schema.minProperties, count < min {
            result.add(Failure(code: .other, name: path, value: .int(count),
                               message: "\(path) in \(inBody) should have at least \(min) properties"))
            return result
        }
        if let max = schema.maxProperties, count > max {
            result.add(Failure(code: .tooManyProperties, name: path, value: .int(count), valid: max,
                               message: "\(path) in \(inBody) should have at most \(max) properties"))
            return result
        }
        switch schema.additionalProperties {
        case .allows(false)?:
            for key in members.keys.sorted() where schema.properties[key] == nil {
                result.add(Failure(code: .other, name: path, value: .string(key),
                                   message: "\(path).\(key) in \(inBody) is a forbidden property"))
            }
        case .schema(let additional)?:
            for key in members.keys.sorted() where schema.properties[key] == nil {
                result.merge(validate(members[key]!, additional, path: path + "." + key, old: old?[key]))
            }
        default:
            break
        }
        for name in schema.propertyNames {
            guard let value = members[name] else { continue }
            result.merge(validate(value, schema.properties[name]!, path: path.isEmpty ? name : path + "." + name,
                                  old: old?[name]))
        }
        for name in schema.required where members[name] == nil {
            result.add(Failure(code: .required, name: path + "." + name, value: nil,
                               message: "\(path).\(name) in \(inBody) is required"))
        }
        return result
    }

    // MARK: allOf, anyOf, oneOf, not

    static func compositionCheck(_ data: JSONValue, _ schema: StructuralSchemaNode, path: String, old: JSONValue? = nil) -> Outcome {
        var main = Outcome()
        if !schema.anyOf.isEmpty {
            var best: Outcome? = nil
            var firstSuccess: Outcome? = nil
            for branch in schema.anyOf {
                let outcome = validate(data, branch, path: path, old: old)
                if outcome.isValid {
                    best = nil
                    firstSuccess = outcome
                    break
                }
                if best == nil || outcome.matchCount > best!.matchCount { best = outcome }
            }
            if firstSuccess == nil {
                main.add(composite("\(goQuote(path)) must validate at least one schema (anyOf)"))
            }
            if let best { main.merge(best) } else if let firstSuccess { main.merge(firstSuccess) }
        }
        if !schema.oneOf.isEmpty {
            var best: Outcome? = nil
            var firstSuccess: Outcome? = nil
            var validated = 0
            for branch in schema.oneOf {
                let outcome = validate(data, branch, path: path, old: old)
                if outcome.isValid {
                    validated += 1
                    best = nil
                    if firstSuccess == nil { firstSuccess = outcome }
                    continue
                }
                if validated == 0 && (best == nil || outcome.matchCount > best!.matchCount) { best = outcome }
            }
            if validated != 1 {
                let detail = validated == 0 ? "Found none valid" : "Found \(validated) valid alternatives"
                main.add(composite("\(goQuote(path)) must validate one and only one schema (oneOf). \(detail)"))
                if let best { main.merge(best) }
            } else if let firstSuccess {
                main.merge(firstSuccess)
            }
        }
        if !schema.allOf.isEmpty {
            var validated = 0
            for branch in schema.allOf {
                let outcome = validate(data, branch, path: path, old: old)
                if outcome.isValid { validated += 1 }
                main.merge(outcome)
            }
            if validated != schema.allOf.count {
                let detail = validated == 0 ? ". None validated" : ""
                main.add(composite("\(goQuote(path)) must validate all the schemas (allOf)\(detail)"))
            }
        }
        if let not = schema.not, validate(data, not, path: path).isValid {
            main.add(composite("\(goQuote(path)) must not validate the schema (not)"))
        }
        main.matchCount += 1
        return main
    }

    static func composite(_ message: String) -> Failure {
        Failure(code: .composite, name: "", value: nil, message: message)
    }

    // MARK: conversion to causes

    /// apiextensions' `kubeOpenAPIResultToFieldErrors`: the dotted name becomes the field path under
    /// `fieldPrefix` (a custom resource has none, so an error naming no field, like a composite one,
    /// lands on Go's nil path, printed `<nil>`).
    static func causes(_ failures: [Failure], fieldPrefix: String? = nil) -> [APIError.Cause] {
        failures.map { failure in
            let base = fieldPrefix ?? "<nil>"
            if failure.code == .composite {
                return .schemaInvalid(base, .string(""), failure.message)
            }
            var field = failure.name
            if field.hasPrefix(".") { field.removeFirst() }
            if field.isEmpty {
                field = base
            } else if let fieldPrefix {
                field = fieldPrefix + "." + field
            }
            let value = failure.value ?? .string("")
            switch failure.code {
            case .required:
                return .required(field)
            case .enumFail:
                let supported = failure.enumValues.map { $0.stringValue ?? $0.jsonString }
                return APIError.Cause(type: "FieldValueNotSupported",
                                      message: "Unsupported value: \(CustomResourceValueRendering.badValue(failure.value ?? .null)): supported values: "
                                          + supported.map(goQuote).joined(separator: ", "),
                                      field: field)
            case .tooLong:
                return .schemaTooLong(field, max: failure.valid ?? -1)
            case .maxItems, .tooManyProperties:
                return .schemaTooMany(field, actual: failure.value?.intValue ?? -1, max: failure.valid ?? -1)
            case .invalidType:
                return .schemaTypeInvalid(field, value, failure.message)
            case .other, .composite:
                return .schemaInvalid(field, value, failure.message)
            }
        }
    }
}
