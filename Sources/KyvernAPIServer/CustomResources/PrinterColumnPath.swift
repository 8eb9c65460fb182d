import Foundation
import KyvernAPI

/// The JSONPath subset printer columns and scale paths use: `.a.b`, `['a.b']`, `[2]`, `[-1]`,
/// `[*]`, `.*` and filters `[?(@.type=="Ready")]` (`==`, `!=`, or a bare `@.field` for presence).
struct PrinterColumnPath: Sendable, Hashable {
    enum Step: Sendable, Hashable {
        case field(String)
        case index(Int)
        case wildcard
        case filter(path: [String], comparison: Comparison?)
    }

    enum Comparison: Sendable, Hashable {
        case equal(JSONValue)
        case notEqual(JSONValue)
    }

    struct ParseError: Error, Sendable {
        var message: String
    }

    let steps: [Step]

    init(_ text: String) throws(ParseError) {
        var source = Substring(text.trimmingCharacters(in: .whitespaces))
        if source.hasPrefix("{"), source.hasSuffix("}") { source = source.dropFirst().dropLast() }
        if source.hasPrefix("$") { source = source.dropFirst() }
        var steps: [Step] = []
        while let c = source.first {
            if c == "." {
                source = source.dropFirst()
                if source.first == "*" { source = source.dropFirst(); steps.append(.wildcard); continue }
                let name = source.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { throw ParseError(message: "unexpected end of path in \(text)") }
                steps.append(.field(String(name)))
                source = source.dropFirst(name.count)
            } else if c == "[" {
                guard let close = Self.closingBracket(source) else { throw ParseError(message: "unclosed [ in \(text)") }
                let inner = source[source.index(after: source.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                source = source[source.index(after: close)...]
                if inner == "*" {
                    steps.append(.wildcard)
                } else if let index = Int(inner) {
                    steps.append(.index(index))
                } else if let quoted = Self.unquote(inner) {
                    steps.append(.field(quoted))
                } else if inner.hasPrefix("?(") && inner.hasSuffix(")") {
                    steps.append(try Self.filter(String(inner.dropFirst(2).dropLast()), in: text))
                } else {
                    throw ParseError(message: "unsupported subscript [\(inner)] in \(text)")
                }
            } else {
                // A leading field without a dot (`spec.replicas`).
                let name = source.prefix { $0 != "." && $0 != "[" }
                steps.append(.field(String(name)))
                source = source.dropFirst(name.count)
            }
        }
        self.steps = steps
    }

    /// Every value the path selects, in document order.
    func values(in object: JSONValue) -> [JSONValue] {
        var current = [object]
        for step in steps {
            var next: [JSONValue] = []
            for value in current {
                switch step {
                case .field(let name):
                    if let child = value.objectValue?[name] { next.append(child) }
                case .index(let index):
                    if let array = value.arrayValue {
                        let position = index < 0 ? array.count + index : index
                        if array.indices.contains(position) { next.append(array[position]) }
                    }
                case .wildcard:
                    if let array = value.arrayValue { next.append(contentsOf: array) }
                    if let members = value.objectValue { next.append(contentsOf: members.keys.sorted().compactMap { members[$0] }) }
                case .filter(let path, let comparison):
                    for element in value.arrayValue ?? [] {
                        let selected = element[path: path]
                        switch comparison {
                        case nil: if selected != nil { next.append(element) }
                        case .equal(let expected)?: if let selected, Self.matches(selected, expected) { next.append(element) }
                        case .notEqual(let expected)?: if let selected, !Self.matches(selected, expected) { next.append(element) }
                        }
                    }
                }
            }
            current = next
        }
        return current
    }

    /// The single field path (`["spec", "replicas"]`) when the path has only field steps.
    var fieldPath: [String]? {
        var result: [String] = []
        for step in steps {
            guard case .field(let name) = step else { return nil }
            result.append(name)
        }
        return result
    }

    private static func matches(_ value: JSONValue, _ expected: JSONValue) -> Bool {
        if value == expected { return true }
        switch (value, expected) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        default: return false
        }
    }

    private static func closingBracket(_ source: Substring) -> Substring.Index? {
        var depth = 0
        var quote: Character?
        for index in source.indices {
            let c = source[index]
            if let q = quote {
                if c == q { quote = nil }
                continue
            }
            switch c {
            case "'", "\"": quote = c
            case "[": depth += 1
            case "]":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    private static func unquote(_ text: String) -> String? {
        guard text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first else { return nil }
        return String(text.dropFirst().dropLast())
    }

    private static func filter(_ expression: String, in text: String) throws(ParseError) -> Step {
        var operatorRange: Range<String.Index>?
        var comparisonIsEqual = true
        if let range = expression.range(of: "==") { operatorRange = range } else if let range = expression.range(of: "!=") {
            operatorRange = range
            comparisonIsEqual = false
        }
        let left = operatorRange.map { String(expression[..<$0.lowerBound]) } ?? expression
        let trimmed = left.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("@") else { throw ParseError(message: "unsupported filter \(expression) in \(text)") }
        let path = trimmed.dropFirst().split(separator: ".").map(String.init)
        guard let operatorRange else { return .filter(path: path, comparison: nil) }
        let right = expression[operatorRange.upperBound...].trimmingCharacters(in: .whitespaces)
        let literal: JSONValue
        if let quoted = unquote(right) {
            literal = .string(quoted)
        } else if let parsed = try? JSONValue.parse(Array(right.utf8)) {
            literal = parsed
        } else {
            throw ParseError(message: "unsupported filter value \(right) in \(text)")
        }
        return .filter(path: path, comparison: comparisonIsEqual ? .equal(literal) : .notEqual(literal))
    }
}
