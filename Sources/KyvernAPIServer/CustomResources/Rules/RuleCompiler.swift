import KyvernAPI
import KyvernCEL

/// Walks a schema compiling each node's rules with `self` (and `oldSelf`) typed from the node,
/// collecting upstream's errors and the estimated cost, multiplied by how often the node can occur.
struct RuleCompiler {
    var causes: [APIError.Cause] = []
    var totalCost: UInt64 = 0

    /// How many elements an unbounded list or map may have in the largest request.
    static let unboundedCardinality: UInt64 = 3 * 1024 * 1024 / 2

    /// `uncorrelatable` is the path of the nearest enclosing list whose items cannot be matched with the
    /// old object's (atomic and set lists): `oldSelf` is refused below it.
    mutating func node(_ schema: JSONValue, field: String, typeName: String, isRoot: Bool, cardinality: UInt64,
                       uncorrelatable: String? = nil) -> RuleNode? {
        var properties: [String: RuleNode] = [:]
        for (name, sub) in schema["properties"]?.objectValue ?? [:] {
            if let n = node(sub, field: "\(field).properties[\(name)]", typeName: "\(typeName).\(name)", isRoot: false,
                            cardinality: cardinality, uncorrelatable: uncorrelatable) {
                properties[name] = n
            }
        }
        var items: RuleNode?
        if let sub = schema["items"], sub.objectValue != nil {
            let n = schema["maxItems"]?.intValue.map { UInt64(max(0, $0)) } ?? Self.unboundedCardinality
            let correlates = schema["x-kubernetes-list-type"]?.stringValue == "map"
            items = node(sub, field: "\(field).items", typeName: "\(typeName).@idx", isRoot: false, cardinality: cardinality.ruleCostTimes(n),
                         uncorrelatable: uncorrelatable ?? (correlates ? nil : "\(field).items"))
        }
        var additional: RuleNode?
        if let sub = schema["additionalProperties"], sub.objectValue != nil {
            let n = schema["maxProperties"]?.intValue.map { UInt64(max(0, $0)) } ?? Self.unboundedCardinality
            additional = node(sub, field: "\(field).additionalProperties", typeName: "\(typeName).@elem", isRoot: false,
                              cardinality: cardinality.ruleCostTimes(n), uncorrelatable: uncorrelatable)
        }
        let rules = compileRules(schema, field: field, typeName: typeName, isRoot: isRoot, cardinality: cardinality, uncorrelatable: uncorrelatable)
        if rules.isEmpty, properties.isEmpty, items == nil, additional == nil { return nil }
        return RuleNode(schema: schema, rules: rules, properties: properties, items: items, additionalProperties: additional)
    }

    private mutating func compileRules(_ schema: JSONValue, field: String, typeName: String, isRoot: Bool, cardinality: UInt64,
                                       uncorrelatable: String?) -> [CompiledRule] {
        guard let list = schema["x-kubernetes-validations"]?.arrayValue, !list.isEmpty else { return [] }
        let selfType = CustomResourceRuleTypes.type(of: schema, name: typeName, root: isRoot)
        var sizes: [String: Double] = [:]
        Self.sizes(schema, path: "self", into: &sizes, depth: 0)
        for (k, v) in sizes { sizes["oldSelf" + k.dropFirst(4)] = v }
        var out: [CompiledRule] = []
        for (i, rule) in list.enumerated() {
            let ruleField = "\(field).x-kubernetes-validations[\(i)]"
            let source = rule["rule"]?.stringValue ?? ""
            let optionalOldSelf = rule["optionalOldSelf"]?.boolValue == true
            let env = CELEnvironment(variables: ["self": selfType, "oldSelf": optionalOldSelf ? .optional(selfType) : selfType], sizes: sizes)
            if source.ruleTrimmed.isEmpty {
                causes.append(CustomResourceRuleMessages.required("\(ruleField).rule", "rule is not specified"))
                continue
            }
            let program: CELProgram
            switch env.compile(source) {
            case .failure(let e):
                causes.append(CustomResourceRuleMessages.invalid("\(ruleField).rule", CustomResourceRuleMessages.ruleValue(rule), "compilation failed: \(e)"))
                continue
            case .success(let p):
                program = p
            }
            if program.resultType != .bool && program.resultType != .dyn {
                causes.append(CustomResourceRuleMessages.invalid("\(ruleField).rule", CustomResourceRuleMessages.ruleValue(rule), "cel expression must evaluate to a bool"))
                continue
            }
            var cost = program.estimatedCost.ruleCostTimes(cardinality)
            if cost > CustomResourceRuleMessages.estimatedRuleLimit {
                causes.append(CustomResourceRuleMessages.forbidden("\(ruleField).rule", CustomResourceRuleMessages.costError(
                    "estimated rule cost", cost, CustomResourceRuleMessages.estimatedRuleLimit)))
            }
            var messageProgram: CELProgram?
            if let me = rule["messageExpression"]?.stringValue, !me.isEmpty {
                switch env.compile(me) {
                case .failure(let e):
                    causes.append(CustomResourceRuleMessages.invalid("\(ruleField).messageExpression", CustomResourceRuleMessages.ruleValue(rule), "messageExpression compilation failed: \(e)"))
                case .success(let p) where p.resultType != .string && p.resultType != .dyn:
                    causes.append(CustomResourceRuleMessages.invalid("\(ruleField).messageExpression", CustomResourceRuleMessages.ruleValue(rule), "must evaluate to a string"))
                case .success(let p):
                    messageProgram = p
                    let mcost = p.estimatedCost.ruleCostTimes(cardinality)
                    if mcost > CustomResourceRuleMessages.estimatedRuleLimit {
                        causes.append(CustomResourceRuleMessages.forbidden("\(ruleField).messageExpression", CustomResourceRuleMessages.costError(
                            "estimated messageExpression cost", mcost, CustomResourceRuleMessages.estimatedRuleLimit)))
                    }
                    cost = cost.ruleCostPlus(mcost)
                }
            }
            totalCost = totalCost.ruleCostPlus(cost)
            let usesOldSelf = Self.references(source, "oldSelf")
            if usesOldSelf, let uncorrelatable {
                causes.append(CustomResourceRuleMessages.invalid("\(ruleField).rule", CustomResourceRuleMessages.goQuote(source),
                    "oldSelf cannot be used on the uncorrelatable portion of the schema within \(uncorrelatable)"))
                continue
            }
            if !usesOldSelf, let flag = rule["optionalOldSelf"]?.boolValue {
                causes.append(CustomResourceRuleMessages.invalid("\(ruleField).optionalOldSelf", flag ? "true" : "false",
                    "may not be set if oldSelf is not used in rule"))
                continue
            }
            out.append(CompiledRule(source: source, program: program, messageProgram: messageProgram,
                                    message: rule["message"]?.stringValue ?? "", reason: rule["reason"]?.stringValue,
                                    fieldPath: rule["fieldPath"]?.stringValue, usesOldSelf: usesOldSelf,
                                    optionalOldSelf: optionalOldSelf))
        }
        return out
    }

    /// Whether the rule names `ident` as a whole word outside string literals (a transition rule).
    static func references(_ source: String, _ ident: String) -> Bool {
        var quote: Character?
        var word = ""
        var prev: Character = " "
        for c in source + " " {
            if let q = quote {
                if c == q && prev != "\\" { quote = nil }
                prev = c
                continue
            }
            if c == "\"" || c == "'" { quote = c; word = ""; prev = c; continue }
            if c.isLetter || c.isNumber || c == "_" { word.append(c) }
            else {
                if word == ident { return true }
                word = ""
            }
            prev = c
        }
        return false
    }

    /// maxLength/maxItems/maxProperties by CEL path, for the cost estimator.
    static func sizes(_ schema: JSONValue, path: String, into sizes: inout [String: Double], depth: Int) {
        guard depth < 12 else { return }
        if let n = schema["maxLength"]?.intValue { sizes[path] = Double(n) * 4 }
        if let n = schema["maxItems"]?.intValue { sizes[path] = Double(n) }
        if let n = schema["maxProperties"]?.intValue { sizes[path] = Double(n) }
        if let n = schema["maxLength"]?.intValue, schema["type"]?.stringValue == "string", schema["format"] == nil { sizes[path] = Double(n) }
        for (name, sub) in schema["properties"]?.objectValue ?? [:] {
            if let e = CustomResourceRuleTypes.escape(name) { Self.sizes(sub, path: "\(path).\(e)", into: &sizes, depth: depth + 1) }
        }
        if let items = schema["items"], items.objectValue != nil { Self.sizes(items, path: path + ".@items", into: &sizes, depth: depth + 1) }
        if let add = schema["additionalProperties"], add.objectValue != nil {
            Self.sizes(add, path: path + ".@values", into: &sizes, depth: depth + 1)
        }
    }
}

extension UInt64 {
    func ruleCostTimes(_ o: UInt64) -> UInt64 {
        let (r, over) = multipliedReportingOverflow(by: o)
        return over ? .max : r
    }
    func ruleCostPlus(_ o: UInt64) -> UInt64 {
        let (r, over) = addingReportingOverflow(o)
        return over ? .max : r
    }
}

extension String {
    var ruleTrimmed: Substring {
        let s = drop { $0.isWhitespace }
        return s.dropLast(s.reversed().prefix { $0.isWhitespace }.count)
    }
}
