/// A field selector: an AND of equalities on an object's selectable fields
/// (`metadata.name=x,status.phase!=Running,spec.nodeName=`).
///
/// Upstream's grammar has no whitespace handling and no quoting: terms split on unescaped commas,
/// each term at its first `!=`, `==` or `=`, and the value is unescaped (`\\`, `\,`, `\=`).
/// Which field names a kind supports is the caller's rule; `fieldNames` lets it check.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
    }

    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var op: Operator
        public var value: String

        public init(field: String, op: Operator, value: String) {
            self.field = field
            self.op = op
            self.value = value
        }

        /// A field the object does not have reads as "", as upstream's `Fields.Get` does.
        public func matches(_ fields: [String: String]) -> Bool {
            let actual = fields[field] ?? ""
            return op == .notEquals ? actual != value : actual == value
        }

        /// `field=value` / `field!=value`, with the value escaped (upstream writes `==` as `=`).
        public var description: String {
            field + (op == .notEquals ? "!=" : "=") + FieldSelector.escapeValue(value)
        }
    }

    /// In upstream's order: the terms sorted as text.
    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) {
        self.requirements = requirements
    }

    /// Selects every object.
    public static let everything = FieldSelector()

    /// Equality on every given field (upstream's `SelectorFromSet`).
    public init(matching fields: [String: String]) {
        self.init(requirements: fields.sorted { $0.key < $1.key }.map {
            Requirement(field: $0.key, op: .equals, value: $0.value)
        })
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ fields: [String: String]) -> Bool {
        for requirement in requirements where !requirement.matches(fields) { return false }
        return true
    }

    /// The fields the selector reads, to check against those a kind supports.
    public var fieldNames: Set<String> { Set(requirements.map(\.field)) }

    /// The value `field` must equal, if the selector pins it; lets a lister use an index
    /// (e.g. pods by `spec.nodeName`) instead of scanning.
    public func requiresExactMatch(_ field: String) -> String? {
        requirements.first { $0.field == field && $0.op != .notEquals }?.value
    }

    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }
}

// MARK: - Parsing

extension FieldSelector {
    /// Parses the `fieldSelector` query parameter; "" selects everything.
    /// Errors are `400 BadRequest` with upstream's messages, e.g.
    /// `invalid selector: 'a'; can't understand 'a'`.
    public static func parse(_ selector: String) throws(APIError) -> FieldSelector {
        var requirements: [Requirement] = []
        for term in splitTerms(selector).sorted() where !term.isEmpty {
            guard let (field, op, rawValue) = splitTerm(term) else {
                throw .badRequest("invalid selector: '\(selector)'; can't understand '\(term)'")
            }
            requirements.append(Requirement(field: field, op: op, value: try unescapeValue(rawValue)))
        }
        return FieldSelector(requirements: requirements)
    }

    /// Escapes `\`, `,` and `=` so a value survives `parse` (upstream's `EscapeValue`).
    public static func escapeValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "=") })
        else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count + 4)
        for ch in value.unicodeScalars {
            if ch == "\\" || ch == "," || ch == "=" { out += "\\" }
            out.unicodeScalars.append(ch)
        }
        return out
    }

    /// Undoes `escapeValue`; a bare `,` or `=`, or `\` before anything else, is an error
    /// (upstream's `UnescapeValue`, whose message shows the bare character as its code point).
    public static func unescapeValue(_ value: String) throws(APIError) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "=") })
        else { return value }
        var out = ""
        var escaped = false
        for ch in value.unicodeScalars {
            if escaped {
                guard ch == "\\" || ch == "," || ch == "=" else {
                    throw .badRequest("invalid field selector: invalid escape sequence: \\\(ch)")
                }
                out.unicodeScalars.append(ch)
                escaped = false
                continue
            }
            switch ch {
            case "\\": escaped = true
            case ",", "=": throw .badRequest("invalid field selector: unescaped character in value: \(ch.value)")
            default: out.unicodeScalars.append(ch)
            }
        }
        if escaped { throw .badRequest("invalid field selector: invalid escape sequence: \\") }
        return out
    }

    /// Splits on commas not preceded by an escaping backslash.
    static func splitTerms(_ selector: String) -> [String] {
        if selector.isEmpty { return [] }
        let bytes = Array(selector.utf8)
        var terms: [String] = []
        var start = 0
        var escaped = false
        for (i, b) in bytes.enumerated() {
            if escaped {
                escaped = false
            } else if b == UInt8(ascii: "\\") {
                escaped = true
            } else if b == UInt8(ascii: ",") {
                terms.append(String(decoding: bytes[start..<i], as: UTF8.self))
                start = i + 1
            }
        }
        terms.append(String(decoding: bytes[start...], as: UTF8.self))
        return terms
    }

    /// Splits a term at the first position where `!=`, `==` or `=` begins (in that preference).
    static func splitTerm(_ term: String) -> (String, Operator, String)? {
        let bytes = Array(term.utf8)
        for i in bytes.indices {
            let op: Operator
            let width: Int
            if bytes[i] == UInt8(ascii: "!"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "=") {
                (op, width) = (.notEquals, 2)
            } else if bytes[i] == UInt8(ascii: "="), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "=") {
                (op, width) = (.doubleEquals, 2)
            } else if bytes[i] == UInt8(ascii: "=") {
                (op, width) = (.equals, 1)
            } else {
                continue
            }
            return (String(decoding: bytes[..<i], as: UTF8.self), op,
                    String(decoding: bytes[(i + width)...], as: UTF8.self))
        }
        return nil
    }
}
