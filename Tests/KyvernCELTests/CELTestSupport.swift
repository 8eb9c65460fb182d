import KyvernCEL

/// Compiles and runs `source` in an environment of the given variables (dyn-typed unless told).
func evaluate(_ source: String, _ vars: [String: CELValue] = [:], types: [String: CELType] = [:]) -> Result<CELValue, CELEvalError>? {
    var decls = types
    for k in vars.keys where decls[k] == nil { decls[k] = .dyn }
    switch CELEnvironment(variables: decls).compile(source) {
    case .success(let p): return p.evaluate(vars).value
    case .failure: return nil
    }
}

/// The compile error text (nil when it compiles).
func compileError(_ source: String, types: [String: CELType] = [:]) -> String? {
    if case .failure(let e) = CELEnvironment(variables: types).compile(source) { return e.description }
    return nil
}

extension CELValue {
    /// Equality for tests: CEL equality, and NaN equals NaN.
    func same(_ other: CELValue) -> Bool {
        if case .double(let a) = self, case .double(let b) = other, a.isNaN, b.isNaN { return true }
        if case .int = self, case .int = other { return celEquals(other) }
        if case .uint = self, case .uint = other { return celEquals(other) }
        if case .double = self, case .double = other { return celEquals(other) }
        switch (self, other) {
        case (.int, _), (.uint, _), (.double, _): return false
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.same($1) }
        default: return celEquals(other)
        }
    }
}

func value(_ source: String, _ vars: [String: CELValue] = [:], types: [String: CELType] = [:]) -> CELValue? {
    if case .success(let v)? = evaluate(source, vars, types: types) { return v }
    return nil
}

func evalError(_ source: String, _ vars: [String: CELValue] = [:], types: [String: CELType] = [:]) -> String? {
    if case .failure(let e)? = evaluate(source, vars, types: types) { return e.message }
    return nil
}
