/// A label selector: an AND of requirements on an object's labels.
///
/// Parsed from the `labelSelector` query parameter (`a=b,c in (x,y),!d`) with upstream's grammar
/// and error messages, or built from a `metav1.LabelSelector` (`matchLabels`/`matchExpressions`)
/// that controllers read from Deployments, Services and the like. Matching is pure and cheap:
/// a list filters thousands of objects through it.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// Upstream's `selection.Operator`; raw values are upstream's spellings.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One condition on one label key.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var op: Operator
        /// Sorted and unique when parsed; one value for `=`, `==`, `!=`, `gt`, `lt`; none for exists.
        public var values: [String]

        /// Builds a requirement unchecked; use `validated` for user input.
        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        /// Upstream's `NewRequirement`: checks the key, the values and their count for the operator.
        public static func validated(key: String, op: Operator, values: [String]) throws(APIError) -> Requirement {
            var problems: [String] = []
            let keyErrors = NameValidation.isQualifiedName(key)
            if !keyErrors.isEmpty {
                problems.append(APIError.Cause.invalid("key", .string(key), keyErrors.joined(separator: "; ")).fieldError)
            }
            switch op {
            case .in, .notIn:
                if values.isEmpty {
                    problems.append("values: Invalid value: \(goStringSlice(values)): for 'in', 'notin' operators, values set can't be empty")
                }
            case .equals, .doubleEquals, .notEquals:
                if values.count != 1 {
                    problems.append("values: Invalid value: \(goStringSlice(values)): exact-match compatibility requires one single value")
                }
            case .exists, .doesNotExist:
                if !values.isEmpty {
                    problems.append("values: Invalid value: \(goStringSlice(values)): values set must be empty for exists and does not exist")
                }
            case .greaterThan, .lessThan:
                if values.count != 1 {
                    problems.append("values: Invalid value: \(goStringSlice(values)): for 'Gt', 'Lt' operators, exactly one value is required")
                }
                for (i, v) in values.enumerated() where Int64(v) == nil {
                    problems.append(APIError.Cause.invalid("values[\(i)]", .string(v),
                        "for 'Gt', 'Lt' operators, the value must be an integer").fieldError)
                }
            }
            for (i, v) in values.enumerated() {
                let errors = NameValidation.isValidLabelValue(v)
                if !errors.isEmpty {
                    problems.append(APIError.Cause.invalid("values[\(i)][\(key)]", .string(v),
                        errors.joined(separator: "; ")).fieldError)
                }
            }
            if !problems.isEmpty { throw .badRequest(aggregate(problems)) }
            return Requirement(key: key, op: op, values: values)
        }

        public func matches(_ labels: [String: String]) -> Bool {
            matches(lookup: { labels[$0] })
        }

        /// Matching against any label source: `lookup` gives a key's value, nil when absent.
        @inline(__always)
        func matches(lookup: (String) -> String?) -> Bool {
            switch op {
            case .equals, .doubleEquals, .in:
                guard let value = lookup(key) else { return false }
                return values.contains(value)
            case .notEquals, .notIn:
                guard let value = lookup(key) else { return true }
                return !values.contains(value)
            case .exists:
                return lookup(key) != nil
            case .doesNotExist:
                return lookup(key) == nil
            case .greaterThan, .lessThan:
                guard let value = lookup(key), let actual = Int64(value),
                      values.count == 1, let bound = Int64(values[0]) else { return false }
                return op == .greaterThan ? actual > bound : actual < bound
            }
        }

        /// Upstream's `Requirement.String()`: `!a`, `a`, `a=b`, `a in (x,y)`, `a>1`.
        public var description: String {
            switch op {
            case .exists: return key
            case .doesNotExist: return "!" + key
            default: break
            }
            let joined = values.count == 1 ? values[0] : values.sorted().joined(separator: ",")
            switch op {
            case .equals: return key + "=" + joined
            case .doubleEquals: return key + "==" + joined
            case .notEquals: return key + "!=" + joined
            case .in: return key + " in (" + joined + ")"
            case .notIn: return key + " notin (" + joined + ")"
            case .greaterThan: return key + ">" + joined
            case .lessThan: return key + "<" + joined
            case .exists, .doesNotExist: return key
            }
        }
    }

    /// Sorted by key, as upstream keeps them.
    public var requirements: [Requirement]
    /// True for the selector that selects nothing (an absent `metav1.LabelSelector` in some fields).
    public var matchesNothing: Bool

    public init(requirements: [Requirement] = []) {
        self.requirements = Self.sortedByKey(requirements)
        self.matchesNothing = false
    }

    /// Selects every object.
    public static let everything = LabelSelector()
    /// Selects no object.
    public static let nothing: LabelSelector = {
        var s = LabelSelector()
        s.matchesNothing = true
        return s
    }()

    /// Equality on every given label (upstream's `SelectorFromSet`), e.g. a Service's `spec.selector`.
    public init(matchLabels: [String: String]) {
        self.init(requirements: matchLabels.map { Requirement(key: $0.key, op: .equals, values: [$0.value]) })
    }

    /// True when the selector restricts nothing.
    public var isEmpty: Bool { !matchesNothing && requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        if matchesNothing { return false }
        for requirement in requirements where !requirement.matches(lookup: { labels[$0] }) { return false }
        return true
    }

    /// Matches the `metadata.labels` of an API object held as JSON, reading them in place
    /// (no `[String: String]` is built): the form a list or watch filter uses per object.
    /// Non-string label values count as absent.
    public func matches(labelsOf object: JSONValue) -> Bool {
        if matchesNothing { return false }
        if requirements.isEmpty { return true }
        guard case .object(let root) = object, case .object(let meta)? = root["metadata"],
              case .object(let labels)? = meta["labels"] else {
            return requirements.allSatisfy { $0.matches(lookup: { _ in nil }) }
        }
        for requirement in requirements where !requirement.matches(lookup: { labels[$0]?.stringValue }) {
            return false
        }
        return true
    }

    /// The single value `key` must have, if the selector pins it (`key=v`, `key==v`, `key in (v)`);
    /// lets a lister use an index instead of scanning.
    public func requiresExactMatch(_ key: String) -> String? {
        guard let r = requirements.first(where: { $0.key == key }) else { return nil }
        switch r.op {
        case .equals, .doubleEquals, .in: return r.values.count == 1 ? r.values[0] : nil
        default: return nil
        }
    }

    /// The selector in query-parameter syntax (upstream's `String()`).
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    static func sortedByKey(_ requirements: [Requirement]) -> [Requirement] {
        // Stable, so equal keys keep their order as upstream's sort mostly does.
        requirements.enumerated().sorted { a, b in
            a.element.key != b.element.key ? a.element.key < b.element.key : a.offset < b.offset
        }.map(\.element)
    }
}

// MARK: - metav1.LabelSelector

extension LabelSelector {
    /// Builds the selector of a `metav1.LabelSelector` object (upstream's `LabelSelectorAsSelector`):
    /// null selects nothing, `{}` selects everything.
    public init(labelSelector json: JSONValue?) throws(APIError) {
        guard let json, !json.isNull else {
            self = .nothing
            return
        }
        guard let object = json.objectValue else {
            throw .badRequest("label selector must be an object, got \(json.jsonString)")
        }
        var requirements: [Requirement] = []
        if let matchLabels = object["matchLabels"], !matchLabels.isNull {
            guard let labels = matchLabels.objectValue else {
                throw .badRequest("matchLabels must be a map of strings")
            }
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
                guard let v = value.stringValue else { throw .badRequest("matchLabels must be a map of strings") }
                requirements.append(try Requirement.validated(key: key, op: .equals, values: [v]))
            }
        }
        if let expressions = object["matchExpressions"], !expressions.isNull {
            guard let list = expressions.arrayValue else {
                throw .badRequest("matchExpressions must be a list")
            }
            for expression in list {
                let key = expression["key"]?.stringValue ?? ""
                let opName = expression["operator"]?.stringValue ?? ""
                let op: Operator
                switch opName {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default: throw .badRequest("\(goQuote(opName)) is not a valid label selector operator")
                }
                let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue)
                requirements.append(try Requirement.validated(key: key, op: op, values: values))
            }
        }
        self.init(requirements: requirements)
    }
}

// MARK: - Parsing the query syntax

extension LabelSelector {
    /// Parses upstream's selector syntax; an empty string selects everything.
    ///
    ///     selector    ::= requirement | requirement "," selector
    ///     requirement ::= ["!"] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
    ///
    /// Errors are `400 BadRequest` with upstream's messages, e.g.
    /// `unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt`.
    public static func parse(_ selector: String) throws(APIError) -> LabelSelector {
        var parser = LabelSelectorParser(tokens: LabelSelectorLexer.tokens(of: selector))
        return LabelSelector(requirements: try parser.parse())
    }
}

private enum Token: Equatable {
    case end, identifier, openParen, closeParen, comma, bang, equals, doubleEquals, notEquals,
         greaterThan, lessThan, `in`, notIn, error
}

private enum LabelSelectorLexer {
    static func tokens(of selector: String) -> [(Token, String)] {
        let bytes = Array(selector.utf8)
        var pos = 0
        var result: [(Token, String)] = []
        func read() -> UInt8 {
            // Upstream's lexer reads a NUL byte as the end of the input; so does this one.
            guard pos < bytes.count else { return 0 }
            defer { pos += 1 }
            return bytes[pos]
        }
        while true {
            var ch = read()
            while isWhitespace(ch) { ch = read() }
            if ch == 0 {
                result.append((.end, ""))
                return result
            }
            pos -= 1
            if isSpecial(ch) {
                // The longest run of special characters that still spells an operator.
                var buffer: [UInt8] = []
                var last: (Token, String)? = nil
                while true {
                    let c = read()
                    if c == 0 { break }
                    guard isSpecial(c) else { pos -= 1; break }
                    buffer.append(c)
                    let text = String(decoding: buffer, as: UTF8.self)
                    if let token = symbolToken(text) {
                        last = (token, text)
                    } else if last != nil {
                        pos -= 1
                        break
                    }
                }
                result.append(last ?? (.error, "error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'"))
            } else {
                let start = pos
                while true {
                    let c = read()
                    if c == 0 { break }
                    if isSpecial(c) || isWhitespace(c) { pos -= 1; break }
                }
                let text = String(decoding: bytes[start..<pos], as: UTF8.self)
                result.append((text == "in" ? .in : text == "notin" ? .notIn : .identifier, text))
            }
        }
    }

    static func isWhitespace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n")
    }

    static func isSpecial(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ","), UInt8(ascii: ">"), UInt8(ascii: "<"):
            return true
        default:
            return false
        }
    }

    static func symbolToken(_ text: String) -> Token? {
        switch text {
        case ")": return .closeParen
        case "(": return .openParen
        case ",": return .comma
        case "!": return .bang
        case "==": return .doubleEquals
        case "=": return .equals
        case "!=": return .notEquals
        case ">": return .greaterThan
        case "<": return .lessThan
        default: return nil
        }
    }
}

/// Recursive descent over the tokens, with upstream's rule that `in`/`notin` are plain
/// identifiers wherever a key or value is expected.
private struct LabelSelectorParser {
    let tokens: [(Token, String)]
    var position = 0

    enum Context { case keyAndOperator, values }

    func lookahead(_ context: Context) -> (Token, String) {
        let (token, literal) = tokens[position]
        if context == .values && (token == .in || token == .notIn) { return (.identifier, literal) }
        return (token, literal)
    }

    mutating func consume(_ context: Context) -> (Token, String) {
        let item = lookahead(context)
        position += 1
        return item
    }

    mutating func parse() throws(APIError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let (token, literal) = lookahead(.values)
            switch token {
            case .identifier, .bang:
                let requirement: LabelSelector.Requirement
                do throws(APIError) {
                    requirement = try parseRequirement()
                } catch {
                    throw .badRequest("unable to parse requirement: " + error.message)
                }
                requirements.append(requirement)
                let (next, nextLiteral) = consume(.values)
                switch next {
                case .end:
                    return requirements
                case .comma:
                    let (after, afterLiteral) = lookahead(.values)
                    if after != .identifier && after != .bang {
                        throw .badRequest("found '\(afterLiteral)', expected: identifier after ','")
                    }
                default:
                    throw .badRequest("found '\(nextLiteral)', expected: ',' or 'end of string'")
                }
            case .end:
                return requirements
            default:
                throw .badRequest("found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    mutating func parseRequirement() throws(APIError) -> LabelSelector.Requirement {
        var (token, literal) = consume(.values)
        var op: LabelSelector.Operator? = nil
        if token == .bang {
            op = .doesNotExist
            (token, literal) = consume(.values)
        }
        guard token == .identifier else {
            throw .badRequest("found '\(literal)', expected: identifier")
        }
        let key = literal
        let keyErrors = NameValidation.isQualifiedName(key)
        if !keyErrors.isEmpty {
            throw .badRequest(APIError.Cause.invalid("<nil>", .string(key), keyErrors.joined(separator: "; ")).fieldError)
        }
        let (next, _) = lookahead(.values)
        if next == .end || next == .comma, op == nil { op = .exists }
        if let op, op == .exists || op == .doesNotExist {
            return try .validated(key: key, op: op, values: [])
        }

        let (opToken, opLiteral) = consume(.keyAndOperator)
        let binary: LabelSelector.Operator
        switch opToken {
        case .in: binary = .in
        case .equals: binary = .equals
        case .doubleEquals: binary = .doubleEquals
        case .greaterThan: binary = .greaterThan
        case .lessThan: binary = .lessThan
        case .notIn: binary = .notIn
        case .notEquals: binary = .notEquals
        default: throw .badRequest("found '\(opLiteral)', expected: in, notin, =, ==, !=, gt, lt")
        }
        let values: Set<String>
        switch binary {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        return try .validated(key: key, op: binary, values: values.sorted())
    }

    /// `( VALUE, VALUE, ... )`, where empty entries are the empty string.
    mutating func parseValues() throws(APIError) -> Set<String> {
        let (open, openLiteral) = consume(.values)
        guard open == .openParen else { throw .badRequest("found '\(openLiteral)' expected: '('") }
        let (token, literal) = lookahead(.values)
        switch token {
        case .identifier, .comma:
            let values = try parseIdentifierList()
            guard consume(.values).0 == .closeParen else {
                throw .badRequest("found '\(literal)', expected: ')'")
            }
            return values
        case .closeParen:
            _ = consume(.values)
            return [""]
        default:
            throw .badRequest("found '\(literal)', expected: ',', ')' or identifier")
        }
    }

    mutating func parseIdentifierList() throws(APIError) -> Set<String> {
        var values: Set<String> = []
        while true {
            let (token, literal) = consume(.values)
            switch token {
            case .identifier:
                values.insert(literal)
                let (next, nextLiteral) = lookahead(.values)
                switch next {
                case .comma: continue
                case .closeParen: return values
                default: throw .badRequest("found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let (next, _) = lookahead(.values)
                if next == .closeParen {
                    values.insert("")
                    return values
                }
                if next == .comma { values.insert("") }
            default:
                throw .badRequest("found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    mutating func parseExactValue() throws(APIError) -> Set<String> {
        let (next, _) = lookahead(.values)
        if next == .end || next == .comma { return [""] }
        let (token, literal) = consume(.values)
        guard token == .identifier else { throw .badRequest("found '\(literal)', expected: identifier") }
        return [literal]
    }
}

/// Go's `%#v` of a `[]string`, as upstream prints bad value lists.
private func goStringSlice(_ values: [String]) -> String {
    "[]string{" + values.map(goQuote).joined(separator: ", ") + "}"
}

/// Upstream's aggregate error text: one message alone, several as `[a, b]`.
private func aggregate(_ messages: [String]) -> String {
    var seen: Set<String> = []
    let unique = messages.filter { seen.insert($0).inserted }
    return unique.count == 1 ? unique[0] : "[" + unique.joined(separator: ", ") + "]"
}
