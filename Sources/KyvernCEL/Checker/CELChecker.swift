/// Type-checks a parsed expression against declared variables and the function table, rejecting what
/// cel-go rejects at compile time with its messages: undeclared references, undefined fields,
/// no matching overload, bad comprehension ranges.
struct CELChecker {
    let variables: [String: CELType]
    let functions: CELFunctionTable
    private(set) var types: [Int: CELType] = [:]
    private(set) var issues: [CELIssue] = []
    private var locals: [(String, CELType)] = []

    init(variables: [String: CELType], functions: CELFunctionTable) {
        self.variables = variables
        self.functions = functions
    }

    private mutating func error(_ e: CELExpr, _ message: String) -> CELType {
        issues.append(CELIssue(offset: e.offset, message: message))
        return .error
    }

    private func local(_ name: String) -> CELType? {
        for (n, t) in locals.reversed() where n == name { return t }
        return nil
    }

    @discardableResult
    mutating func check(_ e: CELExpr) -> CELType {
        let t = infer(e)
        types[e.id] = t
        return t
    }

    private mutating func infer(_ e: CELExpr) -> CELType {
        switch e.kind {
        case .literal(let v):
            return v.celType
        case .ident(let name):
            if let t = local(name) ?? variables[name] { return t }
            if let t = CELTypeNames.byName[name] { return .type(t) }
            return error(e, "undeclared reference to '\(name)' (in container '')")
        case .select(let operand, let field, let testOnly, let optional):
            if !testOnly, !optional, let q = qualified(e), local(String(q.split(separator: ".")[0])) == nil {
                if let t = variables[q] { return t }
                if let t = CELTypeNames.byName[q] { return .type(t) }
            }
            let base = check(operand)
            let ft = fieldType(e, base, field)
            if testOnly { return ft == .error ? .error : .bool }
            if optional { return ft == .error ? .error : .optional(ft.unwrappedOptional) }
            return ft
        case .call(let function, let target, let args):
            return checkCall(e, function, target, args)
        case .list(let elements, let opt):
            var elemTypes: [CELType] = []
            for (i, el) in elements.enumerated() {
                var t = check(el)
                if opt.contains(i) {
                    if case .optional(let inner) = t { t = inner }
                    else if t != .dyn && t != .error { _ = error(el, "expected type '\(CELType.optional(t))' but found '\(t)'") }
                }
                elemTypes.append(t)
            }
            return .list(Self.join(elemTypes))
        case .map(let entries):
            var keys: [CELType] = [], values: [CELType] = []
            for entry in entries {
                keys.append(check(entry.key))
                var vt = check(entry.value)
                if entry.optional, case .optional(let inner) = vt { vt = inner }
                values.append(vt)
            }
            return .map(Self.join(keys), Self.join(values))
        case .message(let name, let fields):
            for (_, f) in fields { check(f) }
            return error(e, "undeclared reference to '\(name)' (in container '')")
        case .comprehension(let c):
            let range = check(c.iterRange)
            var iterType: CELType
            if c.macro == "optMap" || c.macro == "optFlatMap" {
                switch range {
                case .optional(let inner): iterType = inner
                case .dyn, .error: iterType = .dyn
                default: return error(c.iterRange, "found no matching overload for '\(c.macro)' applied to '\(range)'")
                }
                locals.append((c.iterVar, iterType))
                defer { locals.removeLast() }
                let r = check(c.result)
                if c.macro == "optMap" { return .optional(r) }
                return r
            }
            switch range {
            case .list(let el): iterType = el
            case .map(let k, _): iterType = k
            case .object: iterType = .string
            case .dyn, .error: iterType = .dyn
            default:
                _ = error(c.iterRange, "expression of type '\(range)' cannot be range of a comprehension (must be list, map, or dynamic)")
                iterType = .dyn
            }
            var secondType = CELType.dyn
            if c.iterVar2 != nil {
                switch range {
                case .list(let el): secondType = el; iterType = .int
                case .map(_, let v): secondType = v
                case .object: secondType = .dyn
                default: break
                }
            }
            let accuType = check(c.accuInit)
            locals.append((c.iterVar, iterType))
            locals.append((c.iterVar2 ?? "", secondType))
            locals.append((c.accuVar, accuType))
            defer { locals.removeLast(3) }
            check(c.loopCondition)
            switch c.macro {
            case "map", "filter":
                // The step is `accu + [elem]` (maybe under a predicate): type the pieces, not the concatenation
                // with the untyped empty accumulator.
                var step = c.loopStep
                if case .call("_?_:_", nil, let a) = step.kind {
                    let pt = check(a[0])
                    if pt != .bool, pt != .dyn, pt != .error {
                        _ = error(a[0], "found no matching overload for '_?_:_' applied to '(\(pt), list(\(iterType)), list(\(iterType)))'")
                    }
                    step = a[1]
                }
                guard case .call("_+_", nil, let a) = step.kind, case .list(let els, _) = a[1].kind else { return .error }
                let elemType = check(els[0])
                types[a[1].id] = .list(elemType)
                return .list(elemType)
            default:
                check(c.loopStep)
                return check(c.result)
            }
        }
    }

    private func qualified(_ e: CELExpr) -> String? {
        switch e.kind {
        case .ident(let n): return n
        case .select(let o, let f, false, false): return qualified(o).map { "\($0).\(f)" }
        default: return nil
        }
    }

    private mutating func fieldType(_ e: CELExpr, _ base: CELType, _ field: String) -> CELType {
        switch base {
        case .object(let o):
            if let t = o.fields[field] { return t }
            return error(e, "undefined field '\(field)'")
        case .map(_, let v): return v
        case .dyn, .error: return .dyn
        case .optional(let inner):
            let t = fieldType(e, inner, field)
            return t == .error ? .error : .optional(t.unwrappedOptional)
        default:
            return error(e, "type '\(base)' does not support field selection")
        }
    }

    private mutating func checkCall(_ e: CELExpr, _ function: String, _ target: CELExpr?, _ args: [CELExpr]) -> CELType {
        var argTypes: [CELType] = []
        if let target { argTypes.append(check(target)) }
        for a in args { argTypes.append(check(a)) }
        guard let fn = functions[function] else {
            return error(e, "undeclared reference to '\(function)' (in container '')")
        }
        if argTypes.contains(.error) { return .error }
        var results: [CELType] = []
        for ov in fn.overloads where ov.member == (target != nil) && ov.params.count == argTypes.count {
            var bindings: [String: CELType] = [:]
            if zip(ov.params, argTypes).allSatisfy({ Self.assignable($0, $1, &bindings) }) {
                results.append(Self.substitute(ov.result, bindings))
            }
        }
        guard !results.isEmpty else {
            let shown = target != nil
                ? "\(argTypes[0]).(\(argTypes.dropFirst().map(\.description).joined(separator: ", ")))"
                : "(\(argTypes.map(\.description).joined(separator: ", ")))"
            return error(e, "found no matching overload for '\(function)' applied to '\(shown)'")
        }
        return results.dropFirst().allSatisfy({ $0 == results[0] }) ? results[0] : .dyn
    }

    /// Whether an argument of type `arg` fits parameter `param`, binding type parameters as it goes.
    static func assignable(_ param: CELType, _ arg: CELType, _ b: inout [String: CELType]) -> Bool {
        switch (param, arg) {
        case (_, .error), (.dyn, _), (.error, _): return true
        case (.param(let n), _):
            if let bound = b[n] {
                if bound == .dyn { return true }
                if arg == .dyn { return true }
                var inner = b
                if assignable(bound, arg, &inner) { b = inner; return true }
                // `null` compares with objects and optionals, as cel-go allows.
                if arg == .null || bound == .null { return true }
                return false
            }
            b[n] = arg
            return true
        case (_, .dyn): return true
        case (.list(let p), .list(let a)): return assignable(p, a, &b)
        case (.map(let pk, let pv), .map(let ak, let av)): return assignable(pk, ak, &b) && assignable(pv, av, &b)
        case (.optional(let p), .optional(let a)): return assignable(p, a, &b)
        case (.type, .type): return true
        case (.object(let p), .object(let a)): return p.name == a.name
        case (.map(let pk, let pv), .object):
            // Schema objects are maps of string to their fields at runtime.
            return assignable(pk, .string, &b) && assignable(pv, .dyn, &b)
        default: return param == arg
        }
    }

    static func substitute(_ t: CELType, _ b: [String: CELType]) -> CELType {
        switch t {
        case .param(let n): return b[n] ?? .dyn
        case .list(let e): return .list(substitute(e, b))
        case .map(let k, let v): return .map(substitute(k, b), substitute(v, b))
        case .optional(let e): return .optional(substitute(e, b))
        case .type(let e): return .type(e.map { substitute($0, b) })
        default: return t
        }
    }

    /// The common type of list elements or map keys/values: one type if all agree, else dyn.
    static func join(_ ts: [CELType]) -> CELType {
        let concrete = ts.filter { $0 != .error }
        guard let first = concrete.first else { return .dyn }
        return concrete.allSatisfy { $0 == first } ? first : .dyn
    }
}

extension CELType {
    var unwrappedOptional: CELType {
        if case .optional(let t) = self { return t }
        return self
    }
}

/// A compile-time problem at an offset of the source.
struct CELIssue: Sendable {
    var offset: Int
    var message: String
}
