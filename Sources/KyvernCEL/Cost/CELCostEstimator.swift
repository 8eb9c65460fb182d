/// Upstream's static cost estimate: the worst case over the sizes the schema allows. A rule over an
/// unbounded list costs as if the list filled the largest request, which is why upstream asks for maxItems.
struct CELCostEstimator {
    let types: [Int: CELType]
    let functions: CELFunctionTable
    let sizes: [String: Double]
    private var locals: [(String, String)] = []

    /// Upstream's bound for unbounded values: the largest request (3 MiB) holds this many characters.
    static let maxRequestSize: Double = 3 * 1024 * 1024

    init(types: [Int: CELType], functions: CELFunctionTable, sizes: [String: Double]) {
        self.types = types
        self.functions = functions
        self.sizes = sizes
    }

    mutating func estimate(_ e: CELExpr) -> UInt64 {
        let c = cost(e)
        return c >= 1.8e19 ? UInt64.max : UInt64(c.rounded(.up))
    }

    /// The path of a variable-rooted expression (`self.spec.items.@items`), to look its size up.
    private func path(_ e: CELExpr) -> String? {
        switch e.kind {
        case .ident(let n):
            for (name, p) in locals.reversed() where name == n { return p }
            return n
        case .select(let o, let f, false, _): return path(o).map { "\($0).\(f)" }
        case .call("_[_]", nil, let a), .call("_[?_]", nil, let a):
            guard let p = path(a[0]) else { return nil }
            if case .map = types[a[0].id] { return p + ".@values" }
            if case .object = types[a[0].id] { return p + ".@values" }
            return p + ".@items"
        default: return nil
        }
    }

    /// Maximum size of what `e` evaluates to.
    private func size(_ e: CELExpr) -> Double {
        switch e.kind {
        case .literal(.string(let s)): return Double(s.unicodeScalars.count)
        case .literal(.bytes(let b)): return Double(b.count)
        case .list(let els, _): return Double(els.count)
        case .map(let entries): return Double(entries.count)
        default: break
        }
        if let p = path(e), let s = sizes[p] { return s }
        switch types[e.id] {
        case .string?, .bytes?: return Self.maxRequestSize
        // Each element of an unbounded list or map takes at least a byte and a comma.
        case .list?, .map?, .object?, .dyn?: return Self.maxRequestSize / 2
        default: return 1
        }
    }

    private mutating func cost(_ e: CELExpr) -> Double {
        switch e.kind {
        case .literal: return 0
        case .ident: return 1
        case .select(let o, _, _, _): return 1 + cost(o)
        case .list(let els, _): return 10 + els.reduce(0) { $0 + cost($1) }
        case .map(let entries): return 30 + entries.reduce(0) { $0 + cost($1.key) + cost($1.value) }
        case .message(_, let fields): return 40 + fields.reduce(0) { $0 + cost($1.1) }
        case .call(let fn, let target, let args):
            let all = (target.map { [$0] } ?? []) + args
            if fn == "_?_:_" { return cost(args[0]) + max(cost(args[1]), cost(args[2])) }
            let argCost = all.reduce(0) { $0 + cost($1) }
            if fn == "_&&_" || fn == "_||_" || fn == "@not_strictly_false" { return argCost }
            let sizes = all.map { size($0) }
            let argTypes = all.map { types[$0.id] ?? .dyn }
            // Use the estimate of the matching overload with the largest estimate.
            var callCost = 1.0
            for ov in functions[fn]?.overloads ?? [] where ov.params.count == all.count {
                var b: [String: CELType] = [:]
                guard zip(ov.params, argTypes).allSatisfy({ CELChecker.assignable($0, $1, &b) }) else { continue }
                if let est = ov.estimate { callCost = max(callCost, est(sizes)) }
            }
            if fn == "@in", sizes.count == 2 { callCost = max(callCost, sizes[1]) }
            if fn == "_==_" || fn == "_!=_", let t = argTypes.first, t == .string || t == .bytes {
                callCost = max(callCost, 1 + min(sizes[0], sizes[1]) / 10)
            }
            return argCost + callCost
        case .comprehension(let c):
            let rangeCost = cost(c.iterRange)
            let n = c.macro == "optMap" || c.macro == "optFlatMap" ? 1 : size(c.iterRange)
            let rangePath = path(c.iterRange)
            let elemPath: String
            if case .map = types[c.iterRange.id] { elemPath = (rangePath ?? "?") + ".@keys" } else { elemPath = (rangePath ?? "?") + ".@items" }
            if let v2 = c.iterVar2 {
                // Two variables: index or key first, then the element or value.
                let valuePath = (rangePath ?? "?") + (elemPath.hasSuffix(".@keys") ? ".@values" : ".@items")
                locals.append((c.iterVar, "?"))
                locals.append((v2, valuePath))
            } else {
                locals.append((c.iterVar, elemPath))
                locals.append(("", "?"))
            }
            defer { locals.removeLast(2) }
            var per = cost(c.loopCondition)
            if c.macro == "map" || c.macro == "filter" {
                // `accu + [elem]` appends one element; count the predicate and the element, not a list copy.
                var step = c.loopStep
                if case .call("_?_:_", nil, let a) = step.kind { per += cost(a[0]); step = a[1] }
                if case .call("_+_", nil, let a) = step.kind, case .list(let els, _) = a[1].kind, let el = els.first { per += cost(el) + 1 }
            } else {
                per += cost(c.loopStep)
            }
            return rangeCost + cost(c.accuInit) + n * (per + 1) + cost(c.result)
        }
    }
}
