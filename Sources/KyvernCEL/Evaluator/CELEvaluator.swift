/// Walks a checked expression against variable bindings, counting cost as cel-go's tracker does
/// so a runaway rule stops at its budget instead of holding the request.
struct CELEvaluator {
    let variables: [String: CELValue]
    let functions: CELFunctionTable
    let costLimit: UInt64?
    private(set) var cost: UInt64 = 0
    private var locals: [(String, CELValue)] = []

    init(variables: [String: CELValue], functions: CELFunctionTable, costLimit: UInt64?) {
        self.variables = variables
        self.functions = functions
        self.costLimit = costLimit
    }

    private mutating func charge(_ n: UInt64) throws(CELEvalError) {
        cost &+= n
        if let costLimit, cost > costLimit { throw .costLimit }
    }

    private func lookup(_ name: String) -> CELValue? {
        for (n, v) in locals.reversed() where n == name { return v }
        return variables[name]
    }

    mutating func eval(_ e: CELExpr) throws(CELEvalError) -> CELValue {
        switch e.kind {
        case .literal(let v):
            return v
        case .ident(let name):
            try charge(1)
            if let v = lookup(name) { return v }
            if let t = CELTypeNames.byName[name] { return .type(t) }
            throw CELEvalError("no such attribute: \(name)")
        case .select(let operand, let field, let testOnly, let optional):
            try charge(1)
            // A qualified name such as `google.protobuf.Duration` or a dotted variable name.
            if !testOnly, !optional, let q = qualifiedName(e), lookup(String(q.split(separator: ".")[0])) == nil {
                if let v = variables[q] { return v }
                if let t = CELTypeNames.byName[q] { return .type(t) }
            }
            let base = try eval(operand)
            return try select(base, field, testOnly: testOnly, optional: optional)
        case .call(let function, let target, let args):
            return try call(function, target: target, args: args)
        case .list(let elements, let opt):
            try charge(10)
            var out: [CELValue] = []
            out.reserveCapacity(elements.count)
            for (i, el) in elements.enumerated() {
                let v = try eval(el)
                if opt.contains(i) {
                    guard case .optional(let inner) = v else { throw .noSuchOverload("optional list element") }
                    if let inner { out.append(inner) }
                } else {
                    out.append(v)
                }
            }
            return .list(out)
        case .map(let entries):
            try charge(30)
            var pairs: [(CELValue, CELValue)] = []
            for entry in entries {
                let k = try eval(entry.key)
                let v = try eval(entry.value)
                if entry.optional {
                    guard case .optional(let inner) = v else { throw .noSuchOverload("optional map entry") }
                    if let inner { pairs.append((k, inner)) }
                } else {
                    pairs.append((k, v))
                }
            }
            return .map(try CELMap(pairs))
        case .message(let name, _):
            throw CELEvalError("unknown type: \(name)")
        case .comprehension(let c):
            return try comprehension(c)
        }
    }

    private func qualifiedName(_ e: CELExpr) -> String? {
        switch e.kind {
        case .ident(let n): return n
        case .select(let o, let f, false, false): return qualifiedName(o).map { "\($0).\(f)" }
        default: return nil
        }
    }

    func select(_ base: CELValue, _ field: String, testOnly: Bool, optional: Bool) throws(CELEvalError) -> CELValue {
        switch base {
        case .map(let m):
            let v = m[string: field]
            if testOnly { return .bool(v != nil) }
            if optional { return .optional(v) }
            guard let v else { throw CELEvalError("no such key: \(field)") }
            return v
        case .optional(let inner):
            guard let inner else { return testOnly ? .bool(false) : .optional(nil) }
            if testOnly { return try select(inner, field, testOnly: true, optional: false) }
            return try select(inner, field, testOnly: false, optional: true)
        default:
            throw CELEvalError("no such overload")
        }
    }

    private mutating func call(_ function: String, target: CELExpr?, args: [CELExpr]) throws(CELEvalError) -> CELValue {
        switch function {
        case "_&&_", "_||_":
            let isAnd = function == "_&&_"
            var firstError: CELEvalError?
            for a in args {
                do throws(CELEvalError) {
                    let v = try eval(a)
                    guard case .bool(let b) = v else { throw CELEvalError.noSuchOverload(function) }
                    if b != isAnd { return .bool(b) }
                } catch let err {
                    if err.costExceeded { throw err }
                    if firstError == nil { firstError = err }
                }
            }
            if let firstError { throw firstError }
            return .bool(isAnd)
        case "_?_:_":
            let c = try eval(args[0])
            guard case .bool(let b) = c else { throw .noSuchOverload("_?_:_") }
            return try eval(b ? args[1] : args[2])
        case "@not_strictly_false":
            do throws(CELEvalError) {
                let v = try eval(args[0])
                if case .bool(false) = v { return .bool(false) }
                return .bool(true)
            } catch let err {
                if err.costExceeded { throw err }
                return .bool(true)
            }
        default:
            break
        }
        var values: [CELValue] = []
        values.reserveCapacity(args.count + 1)
        if let target { values.append(try eval(target)) }
        for a in args { values.append(try eval(a)) }
        guard let fn = functions[function], fn.overloads.contains(where: { $0.params.count == values.count }) else {
            throw CELEvalError("no such overload: \(function)")
        }
        try charge(fn.cost(values))
        return try fn.impl(values)
    }

    private mutating func comprehension(_ c: CELComprehension) throws(CELEvalError) -> CELValue {
        let range = try eval(c.iterRange)
        if c.macro == "optMap" || c.macro == "optFlatMap" {
            guard case .optional(let inner) = range else { throw .noSuchOverload(c.macro) }
            guard let inner else { return .optional(nil) }
            locals.append((c.iterVar, inner))
            defer { locals.removeLast() }
            let r = try eval(c.result)
            if c.macro == "optMap" { return .optional(r) }
            guard case .optional = r else { throw .noSuchOverload(c.macro) }
            return r
        }
        let items: [CELValue]
        var seconds: [CELValue]?
        switch range {
        case .list(let l):
            items = c.iterVar2 == nil ? l : l.indices.map { .int(Int64($0)) }
            if c.iterVar2 != nil { seconds = l }
        case .map(let m):
            items = m.keys
            if c.iterVar2 != nil { seconds = m.values }
        default: throw CELEvalError("cannot iterate over \(range.celType.runtimeName)")
        }
        if c.macro == "all" || c.macro == "exists", case .call(_, nil, let stepArgs) = c.loopStep.kind {
            return try quantifier(items, seconds, c, predicate: stepArgs[1], decidingValue: c.macro == "exists")
        }
        var accu = try eval(c.accuInit)
        // map and filter append in place instead of re-building the accumulator list per element.
        let appends = c.macro == "map" || c.macro == "filter"
        var built: [CELValue] = []
        for (n, item) in items.enumerated() {
            try charge(1)
            locals.append((c.iterVar, item))
            locals.append((c.iterVar2 ?? "", seconds?[n] ?? .null))
            defer { locals.removeLast(2) }
            if appends {
                if let elem = try appendStep(c) { built.append(elem) }
                continue
            }
            locals.append((c.accuVar, accu))
            defer { locals.removeLast() }
            guard case .bool(true) = try eval(c.loopCondition) else { break }
            accu = try eval(c.loopStep)
        }
        if appends { return .list(built) }
        locals.append((c.accuVar, accu))
        defer { locals.removeLast() }
        return try eval(c.result)
    }

    /// `all` and `exists`: the first element whose predicate is `decidingValue` decides; an error in
    /// another element surfaces only when none decides, as CEL's commutative logic requires.
    private mutating func quantifier(_ items: [CELValue], _ seconds: [CELValue]?, _ c: CELComprehension, predicate: CELExpr,
                                     decidingValue: Bool) throws(CELEvalError) -> CELValue {
        var firstError: CELEvalError?
        for (n, item) in items.enumerated() {
            try charge(1)
            locals.append((c.iterVar, item))
            locals.append((c.iterVar2 ?? "", seconds?[n] ?? .null))
            defer { locals.removeLast(2) }
            do throws(CELEvalError) {
                let v = try eval(predicate)
                guard case .bool(let b) = v else { throw CELEvalError.noSuchOverload(decidingValue ? "_||_" : "_&&_") }
                if b == decidingValue { return .bool(b) }
            } catch let err {
                if err.costExceeded { throw err }
                if firstError == nil { firstError = err }
            }
        }
        if let firstError { throw firstError }
        return .bool(!decidingValue)
    }

    /// The element a map/filter step adds, or nil when its predicate is false.
    private mutating func appendStep(_ c: CELComprehension) throws(CELEvalError) -> CELValue? {
        // step is `accu + [elem]` or `pred ? accu + [elem] : accu`.
        var step = c.loopStep
        if case .call("_?_:_", nil, let a) = step.kind {
            let p = try eval(a[0])
            guard case .bool(let b) = p else { throw .noSuchOverload("_?_:_") }
            if !b { return nil }
            step = a[1]
        }
        guard case .call("_+_", nil, let a) = step.kind, case .list(let els, _) = a[1].kind, els.count == 1 else {
            throw CELEvalError("malformed \(c.macro) expansion")
        }
        return try eval(els[0])
    }
}

/// Type names usable as values (`type(x) == int`).
enum CELTypeNames {
    static let byName: [String: CELType] = [
        "int": .int, "uint": .uint, "double": .double, "string": .string, "bytes": .bytes, "bool": .bool,
        "null_type": .null, "list": .list(.dyn), "map": .map(.dyn, .dyn), "type": .type(nil),
        "google.protobuf.Duration": .duration, "google.protobuf.Timestamp": .timestamp,
        "optional_type": .optional(.dyn),
    ]
}
