import KyvernAPI
import KyvernCEL

/// One validation pass over an object: walks the compiled rule tree beside the object (and the old
/// object where it correlates), within upstream's runtime cost budget for the whole request.
struct RuleRun {
    var causes: [APIError.Cause] = []
    var remaining = CustomResourceRuleMessages.runtimeBudget
    var stopped = false

    mutating func walk(_ node: RuleNode, _ value: JSONValue, _ old: JSONValue?, path: String?) {
        // A null (nullable) value has nothing to validate, as upstream skips it.
        if stopped || value.isNull { return }
        if !node.rules.isEmpty { evaluate(node, value, old, path: path) }
        switch value {
        case .object(let o):
            for (name, child) in node.properties.sorted(by: { $0.key < $1.key }) {
                guard let v = o[name] else { continue }
                walk(child, v, old?[name], path: Self.child(path, name))
            }
            if let add = node.additionalProperties {
                for key in o.keys.sorted() where node.properties[key] == nil {
                    walk(add, o[key]!, old?[key], path: (path ?? "") + "[\(key)]")
                }
            }
        case .array(let a):
            guard let items = node.items else { return }
            let oldItems = old?.arrayValue
            for (i, v) in a.enumerated() {
                walk(items, v, Self.correlate(v, in: oldItems, schema: node.schema), path: (path ?? "") + "[\(i)]")
            }
        default:
            break
        }
    }

    static func child(_ path: String?, _ name: String) -> String {
        guard let path else { return name }
        return "\(path).\(name)"
    }

    /// The old element matching `v` by the map keys of a `map` list; atomic and set lists do not
    /// correlate (no transition rules are allowed below them).
    static func correlate(_ v: JSONValue, in old: [JSONValue]?, schema: JSONValue) -> JSONValue? {
        guard let old else { return nil }
        switch schema["x-kubernetes-list-type"]?.stringValue {
        case "map":
            let keys = schema["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return old.first { o in keys.allSatisfy { o[$0] == v[$0] } }
        default:
            return nil
        }
    }

    private mutating func evaluate(_ node: RuleNode, _ value: JSONValue, _ old: JSONValue?, path: String?) {
        let selfValue = CustomResourceRuleTypes.value(value, node.schema)
        let oldValue = old.map { CustomResourceRuleTypes.value($0, node.schema) }
        for rule in node.rules {
            if stopped { return }
            var bindings: [String: CELValue] = ["self": selfValue]
            if rule.usesOldSelf {
                if rule.optionalOldSelf { bindings["oldSelf"] = .optional(oldValue) }
                else if let oldValue { bindings["oldSelf"] = oldValue }
                else { continue }
            }
            let field = Self.fieldPath(path, rule.fieldPath)
            let ruleText = Self.ruleErrorString(rule)
            guard remaining > 0 else {
                causes.append(CustomResourceRuleMessages.invalid(field, CustomResourceRuleMessages.goQuote(node.schemaType),
                    "validation failed due to running out of cost budget, no further validation rules will be run"))
                stopped = true
                return
            }
            let result = rule.program.evaluate(bindings, costLimit: min(CustomResourceRuleMessages.perCallLimit, remaining))
            remaining = result.cost >= remaining ? 0 : remaining - result.cost
            switch result.value {
            case .failure(let err):
                let quoted = CustomResourceRuleMessages.goQuote(node.schemaType)
                if err.costExceeded {
                    causes.append(CustomResourceRuleMessages.invalid(field, quoted,
                        "'\(err.message)': no further validation rules will be run due to call cost exceeds limit for rule: \(ruleText)"))
                    stopped = true
                    return
                } else if err.message.hasPrefix("no such overload") {
                    causes.append(CustomResourceRuleMessages.invalid(field, quoted,
                        "'\(err.message)': call arguments did not match a supported operator, function or macro signature for rule: \(ruleText)"))
                } else {
                    causes.append(CustomResourceRuleMessages.invalid(field, quoted, "\(err.message) evaluating rule: \(ruleText)"))
                }
            case .success(.bool(true)):
                continue
            case .success(.bool(false)):
                causes.append(CustomResourceRuleMessages.forReason(rule.reason, field, node.schemaType, message(rule, bindings)))
            case .success:
                causes.append(CustomResourceRuleMessages.invalid(field, CustomResourceRuleMessages.goQuote(node.schemaType),
                    "rule did not evaluate to a bool: \(ruleText)"))
            }
        }
    }

    /// The failure message: messageExpression's result when it yields a usable one-line string,
    /// else `message`, else "failed rule: <rule>".
    private mutating func message(_ rule: CompiledRule, _ bindings: [String: CELValue]) -> String {
        if let mp = rule.messageProgram, remaining > 0 {
            let r = mp.evaluate(bindings, costLimit: min(CustomResourceRuleMessages.perCallLimit, remaining))
            remaining = r.cost >= remaining ? 0 : remaining - r.cost
            if case .success(.string(let s)) = r.value, !s.ruleTrimmed.isEmpty, !s.contains("\n") { return s }
        }
        return Self.ruleMessageOrDefault(rule)
    }

    static func ruleErrorString(_ rule: CompiledRule) -> String {
        if !rule.message.isEmpty { return String(rule.message.ruleTrimmed) }
        return String(rule.source.ruleTrimmed)
    }

    static func ruleMessageOrDefault(_ rule: CompiledRule) -> String {
        if rule.message.isEmpty { return "failed rule: \(ruleErrorString(rule))" }
        return String(rule.message.ruleTrimmed)
    }

    /// The node's path with the rule's `fieldPath` (`.a.b`, `['c']`) appended; "<nil>" at the root,
    /// as upstream prints a nil field path.
    static func fieldPath(_ path: String?, _ fieldPath: String?) -> String {
        var p = path
        if let fp = fieldPath, !fp.isEmpty {
            var rest = Substring(fp)
            while !rest.isEmpty {
                if rest.hasPrefix(".") {
                    rest = rest.dropFirst()
                    let name = rest.prefix { $0 != "." && $0 != "[" }
                    p = child(p, String(name))
                    rest = rest.dropFirst(name.count)
                } else if rest.hasPrefix("['") {
                    rest = rest.dropFirst(2)
                    let name = rest.prefix { $0 != "'" }
                    p = child(p, String(name))
                    rest = rest.dropFirst(name.count + 2)
                } else if rest.hasPrefix("[") {
                    let idx = rest.prefix { $0 != "]" } + "]"
                    p = (p ?? "") + idx
                    rest = rest.dropFirst(idx.count)
                } else {
                    break
                }
            }
        }
        return p ?? "<nil>"
    }
}
