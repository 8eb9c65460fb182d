import Foundation
import KyvernAPI

/// One node of a CRD's `openAPIV3Schema`, read once from its JSON so that pruning, defaulting and
/// validation of every custom resource walk typed fields instead of re-reading dictionaries.
///
/// The node is immutable and shared between requests, hence a final class of `let`s.
final class StructuralSchemaNode: Sendable {
    /// `type`, or "" when absent (under `x-kubernetes-preserve-unknown-fields` or `x-kubernetes-int-or-string`).
    let type: String
    /// The types the validator accepts: `[type]`, `["integer", "string"]` for int-or-string, or none.
    let types: [String]
    /// `format`, emptied when upstream does not validate it (as its `StripUnsupportedFormatsPostProcess`).
    let format: String
    let nullable: Bool
    let defaultValue: JSONValue?
    let enumValues: [JSONValue]?
    let pattern: StructuralSchemaPattern?
    let maximum: Double?
    let exclusiveMaximum: Bool
    let minimum: Double?
    let exclusiveMinimum: Bool
    let multipleOf: Double?
    let maxLength: Int64?
    let minLength: Int64?
    let maxItems: Int64?
    let minItems: Int64?
    let uniqueItems: Bool
    let maxProperties: Int64?
    let minProperties: Int64?
    let required: [String]
    let properties: [String: StructuralSchemaNode]
    /// Property names in a fixed order, so causes come out the same on every run.
    let propertyNames: [String]
    let additionalProperties: AdditionalProperties?
    let items: StructuralSchemaNode?
    let allOf: [StructuralSchemaNode]
    let anyOf: [StructuralSchemaNode]
    let oneOf: [StructuralSchemaNode]
    let not: StructuralSchemaNode?
    let preserveUnknownFields: Bool
    let embeddedResource: Bool
    let intOrString: Bool
    let listType: String?
    let listMapKeys: [String]
    /// Whether this node or one below it is an embedded resource, so walks that only concern
    /// embedded resources can skip the rest of an object.
    let hasEmbeddedResource: Bool
    /// Whether this node or one below it is a `set` or `map` list.
    let hasSetOrMapList: Bool

    enum AdditionalProperties: Sendable {
        /// `additionalProperties: true/false` without a schema.
        case allows(Bool)
        case schema(StructuralSchemaNode)

        var schema: StructuralSchemaNode? {
            if case .schema(let s) = self { return s }
            return nil
        }
    }

    /// Formats upstream validates in custom resources; any other is ignored. Dashes are dropped
    /// before the lookup, as go-openapi normalizes names ("date-time" is "datetime").
    static let supportedFormats: Set<String> = [
        "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4",
        "uuid5", "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password",
        "date", "duration", "datetime",
    ]

    init(_ json: JSONValue) {
        let o = json.objectValue ?? [:]
        type = o["type"]?.stringValue ?? ""
        intOrString = o["x-kubernetes-int-or-string"]?.boolValue ?? false
        if intOrString {
            types = ["integer", "string"]
        } else {
            types = type.isEmpty ? [] : [type]
        }
        let rawFormat = o["format"]?.stringValue ?? ""
        format = Self.supportedFormats.contains(rawFormat.replacingOccurrences(of: "-", with: "")) ? rawFormat : ""
        nullable = o["nullable"]?.boolValue ?? false
        defaultValue = o["default"]
        enumValues = o["enum"]?.arrayValue
        pattern = o["pattern"]?.stringValue.map(StructuralSchemaPattern.init)
        maximum = Self.number(o["maximum"])
        exclusiveMaximum = o["exclusiveMaximum"]?.boolValue ?? false
        minimum = Self.number(o["minimum"])
        exclusiveMinimum = o["exclusiveMinimum"]?.boolValue ?? false
        multipleOf = Self.number(o["multipleOf"])
        maxLength = o["maxLength"]?.intValue
        minLength = o["minLength"]?.intValue
        maxItems = o["maxItems"]?.intValue
        minItems = o["minItems"]?.intValue
        uniqueItems = o["uniqueItems"]?.boolValue ?? false
        maxProperties = o["maxProperties"]?.intValue
        minProperties = o["minProperties"]?.intValue
        required = (o["required"]?.arrayValue ?? []).compactMap(\.stringValue)
        var props: [String: StructuralSchemaNode] = [:]
        for (name, sub) in o["properties"]?.objectValue ?? [:] { props[name] = StructuralSchemaNode(sub) }
        properties = props
        propertyNames = props.keys.sorted()
        switch o["additionalProperties"] {
        case .bool(let b)?: additionalProperties = .allows(b)
        case .object(let s)?: additionalProperties = .schema(StructuralSchemaNode(.object(s)))
        default: additionalProperties = nil
        }
        switch o["items"] {
        case .object(let s)?: items = StructuralSchemaNode(.object(s))
        default: items = nil
        }
        allOf = (o["allOf"]?.arrayValue ?? []).map(StructuralSchemaNode.init)
        anyOf = (o["anyOf"]?.arrayValue ?? []).map(StructuralSchemaNode.init)
        oneOf = (o["oneOf"]?.arrayValue ?? []).map(StructuralSchemaNode.init)
        not = o["not"].flatMap { $0.objectValue == nil ? nil : StructuralSchemaNode($0) }
        preserveUnknownFields = o["x-kubernetes-preserve-unknown-fields"]?.boolValue ?? false
        embeddedResource = o["x-kubernetes-embedded-resource"]?.boolValue ?? false
        listType = o["x-kubernetes-list-type"]?.stringValue
        listMapKeys = (o["x-kubernetes-list-map-keys"]?.arrayValue ?? []).compactMap(\.stringValue)
        var children = Array(props.values)
        if let items { children.append(items) }
        if let sub = additionalProperties?.schema { children.append(sub) }
        hasEmbeddedResource = embeddedResource || children.contains { $0.hasEmbeddedResource }
        hasSetOrMapList = listType == "set" || listType == "map" || children.contains { $0.hasSetOrMapList }
    }

    /// The schema a member `key` of an object follows: its property, else `additionalProperties`.
    func schema(forMember key: String) -> StructuralSchemaNode? {
        properties[key] ?? additionalProperties?.schema
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let i)?: Double(i)
        case .double(let d)?: d
        default: nil
        }
    }
}

/// A `pattern`, compiled once. Go's `regexp` (RE2) and ICU agree on the syntax CRDs use; the
/// expression is immutable after compilation, so sharing it between threads is safe.
final class StructuralSchemaPattern: @unchecked Sendable {
    let source: String
    let regex: NSRegularExpression?
    /// Why the pattern does not compile (CRD validation rejects such schemas; kept for stored ones).
    let compileError: String?

    init(_ source: String) {
        self.source = source
        do {
            regex = try NSRegularExpression(pattern: source)
            compileError = nil
        } catch {
            regex = nil
            compileError = "error parsing regexp: " + Self.goParseProblem(source)
        }
    }

    /// The likely reason Go's parser gives for a pattern ICU refused (the common unbalanced cases).
    static func goParseProblem(_ source: String) -> String {
        var depth = 0
        var inClass = false
        var escaped = false
        for c in source {
            if escaped { escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "[" where !inClass: inClass = true
            case "]" where inClass: inClass = false
            case "(" where !inClass: depth += 1
            case ")" where !inClass:
                if depth == 0 { return "unexpected ): `\(source)`" }
                depth -= 1
            default: break
            }
        }
        if inClass { return "missing closing ]: `\(source)`" }
        if depth > 0 { return "missing closing ): `\(source)`" }
        if escaped { return "trailing backslash at end of expression: ``" }
        return "invalid regular expression: `\(source)`"
    }

    /// Go's `MatchString`: a match anywhere in the string.
    func matches(_ s: String) -> Bool {
        guard let regex else { return false }
        return regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }
}

/// Whether a `pattern` is a regular expression Go's RE2 accepts, worded as Go's parse error.
/// RE2 refuses look-around and back-references, which ICU would accept.
enum CRDPatternSyntax {
    static func problem(_ pattern: String) -> String? {
        for token in ["(?=", "(?!", "(?<=", "(?<!"] where pattern.contains(token) {
            return "error parsing regexp: invalid or unsupported Perl syntax: `\(token)`"
        }
        var previous: Character? = nil
        for c in pattern {
            if previous == "\\", let digit = c.wholeNumberValue, digit > 0 {
                return "error parsing regexp: invalid escape sequence: `\\\(c)`"
            }
            previous = (previous == "\\") ? nil : c
        }
        if let error = StructuralSchemaPattern(pattern).compileError { return error }
        return nil
    }
}
