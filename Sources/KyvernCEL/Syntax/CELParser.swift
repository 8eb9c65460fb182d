/// Recursive-descent parser for CEL's grammar, expanding the standard macros as cel-go does.
struct CELParser {
    private var toks: [CELLexeme]
    private var p = 0
    private var nextID = 1
    private var depth = 0
    /// cel-go's default parser recursion limit.
    static let maxDepth = 250

    static let reserved: Set<String> = [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
        "package", "namespace", "return", "var", "void", "while",
    ]
    /// Receivers that name a function namespace rather than a value (`optional.of(x)`, `math.greatest(...)`).
    static let namespaces: Set<String> = ["optional", "math", "strings", "sets", "base64", "cel"]

    static func parse(_ source: String) throws(CELSyntaxError) -> CELExpr {
        var lexer = CELLexer(source)
        var parser = CELParser(toks: try lexer.tokenize())
        let e = try parser.expr()
        guard case .eof = parser.peek.token else {
            throw CELSyntaxError(message: "Syntax error: mismatched input '\(parser.peekText)' expecting <EOF>", offset: parser.peek.offset)
        }
        return e
    }

    private init(toks: [CELLexeme]) { self.toks = toks }

    private var peek: CELLexeme { toks[p] }
    private var peekText: String {
        switch peek.token {
        case .eof: "<EOF>"
        case .punct(let s), .ident(let s), .int(let s), .double(let s): s
        case .uint(let s): s + "u"
        case .string(let s): "'\(s)'"
        case .bytes: "b''"
        }
    }
    private func isPunct(_ s: String) -> Bool { if case .punct(s) = peek.token { return true }; return false }
    private mutating func eat(_ s: String) -> Bool {
        if isPunct(s) { p += 1; return true }
        return false
    }
    private mutating func expect(_ s: String) throws(CELSyntaxError) {
        guard eat(s) else {
            throw CELSyntaxError(message: "Syntax error: mismatched input '\(peekText)' expecting '\(s)'", offset: peek.offset)
        }
    }
    private mutating func node(_ offset: Int, _ kind: CELExprKind) -> CELExpr {
        defer { nextID += 1 }
        return CELExpr(id: nextID, offset: offset, kind: kind)
    }
    private mutating func enter() throws(CELSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw CELSyntaxError(message: "expression recursion limit exceeded: \(Self.maxDepth)", offset: peek.offset) }
    }

    // expr: or ('?' or ':' expr)?
    private mutating func expr() throws(CELSyntaxError) -> CELExpr {
        try enter(); defer { depth -= 1 }
        let cond = try binary(level: 0)
        guard isPunct("?") else { return cond }
        let off = peek.offset
        p += 1
        let a = try binary(level: 0)
        try expect(":")
        let b = try expr()
        return node(off, .call(function: "_?_:_", target: nil, args: [cond, a, b]))
    }

    private static let levels: [[(String, String)]] = [
        [("||", "_||_")],
        [("&&", "_&&_")],
        [("==", "_==_"), ("!=", "_!=_"), ("<", "_<_"), ("<=", "_<=_"), (">", "_>_"), (">=", "_>=_"), ("in", "@in")],
        [("+", "_+_"), ("-", "_-_")],
        [("*", "_*_"), ("/", "_/_"), ("%", "_%_")],
    ]

    private mutating func binary(level: Int) throws(CELSyntaxError) -> CELExpr {
        if level == Self.levels.count { return try unary() }
        var lhs = try binary(level: level + 1)
        while true {
            let off = peek.offset
            var fn: String?
            for (tok, name) in Self.levels[level] {
                if tok == "in" { if case .ident("in") = peek.token { fn = name } }
                else if isPunct(tok) { fn = name }
                if fn != nil { break }
            }
            guard let fn else { return lhs }
            p += 1
            try enter()
            let rhs = try binary(level: level + 1)
            depth -= 1
            lhs = node(off, .call(function: fn, target: nil, args: [lhs, rhs]))
        }
    }

    private mutating func unary() throws(CELSyntaxError) -> CELExpr {
        let off = peek.offset
        if isPunct("!") {
            var n = 0
            while eat("!") { n += 1 }
            var e = try member()
            if n % 2 == 1 || true {
                for _ in 0..<n { e = node(off, .call(function: "!_", target: nil, args: [e])) }
            }
            return e
        }
        if isPunct("-") {
            var n = 0
            while eat("-") { n += 1 }
            // A negated integer literal is one literal, so -9223372036854775808 is representable.
            var e: CELExpr
            if case .int(let text) = peek.token {
                let litOff = peek.offset
                p += 1
                e = node(litOff, .literal(try intLiteral("-" + text, offset: litOff)))
                n -= 1
                e = try memberSuffix(e)
            } else if case .double(let text) = peek.token {
                let litOff = peek.offset
                p += 1
                e = node(litOff, .literal(.double(-(Double(text) ?? 0))))
                n -= 1
                e = try memberSuffix(e)
            } else {
                e = try member()
            }
            for _ in 0..<n { e = node(off, .call(function: "-_", target: nil, args: [e])) }
            return e
        }
        return try member()
    }

    private func intLiteral(_ text: String, offset: Int) throws(CELSyntaxError) -> CELValue {
        let neg = text.hasPrefix("-")
        let body = neg ? String(text.dropFirst()) : text
        let value: Int64?
        if body.hasPrefix("0x") || body.hasPrefix("0X") { value = Int64((neg ? "-" : "") + body.dropFirst(2), radix: 16) }
        else { value = Int64(text) }
        guard let value else { throw CELSyntaxError(message: "invalid int literal", offset: offset) }
        return .int(value)
    }

    private mutating func member() throws(CELSyntaxError) -> CELExpr {
        try memberSuffix(try primary())
    }

    private mutating func memberSuffix(_ start: CELExpr) throws(CELSyntaxError) -> CELExpr {
        var e = start
        while true {
            let off = peek.offset
            if isPunct(".") {
                p += 1
                let optional = eat("?")
                guard case .ident(let name) = peek.token else {
                    throw CELSyntaxError(message: "Syntax error: no viable alternative at input '.\(peekText)'", offset: peek.offset)
                }
                p += 1
                if !optional, isPunct("(") {
                    let open = peek.offset
                    p += 1
                    let args = try exprList(close: ")")
                    e = try makeCall(name, target: e, args: args, offset: open)
                } else {
                    e = node(off, .select(operand: e, field: name, testOnly: false, optional: optional))
                }
            } else if isPunct("[") {
                p += 1
                let optional = eat("?")
                let idx = try expr()
                try expect("]")
                e = node(off, .call(function: optional ? "_[?_]" : "_[_]", target: nil, args: [e, idx]))
            } else {
                return e
            }
        }
    }

    private mutating func exprList(close: String) throws(CELSyntaxError) -> [CELExpr] {
        var args: [CELExpr] = []
        if eat(close) { return args }
        repeat { args.append(try expr()) } while eat(",")
        try expect(close)
        return args
    }

    private mutating func primary() throws(CELSyntaxError) -> CELExpr {
        let off = peek.offset
        switch peek.token {
        case .int(let t): p += 1; return node(off, .literal(try intLiteral(t, offset: off)))
        case .uint(let t):
            p += 1
            let v = t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
            guard let v else { throw CELSyntaxError(message: "invalid uint literal", offset: off) }
            return node(off, .literal(.uint(v)))
        case .double(let t):
            p += 1
            guard let d = Double(t) else { throw CELSyntaxError(message: "invalid double literal", offset: off) }
            return node(off, .literal(.double(d)))
        case .string(let s): p += 1; return node(off, .literal(.string(s)))
        case .bytes(let b): p += 1; return node(off, .literal(.bytes(b)))
        case .ident(let name):
            p += 1
            switch name {
            case "true": return node(off, .literal(.bool(true)))
            case "false": return node(off, .literal(.bool(false)))
            case "null": return node(off, .literal(.null))
            case "in": throw CELSyntaxError(message: "Syntax error: extraneous input 'in' expecting <EOF>", offset: off)
            default: break
            }
            if Self.reserved.contains(name) { throw CELSyntaxError(message: "reserved identifier: \(name)", offset: off) }
            if isPunct("(") {
                let open = peek.offset
                p += 1
                let args = try exprList(close: ")")
                return try makeCall(name, target: nil, args: args, offset: open)
            }
            if isPunct("{"), name.first?.isUppercase == true {
                p += 1
                var fields: [(String, CELExpr)] = []
                if !eat("}") {
                    repeat {
                        if isPunct("}") { break }
                        guard case .ident(let f) = peek.token else {
                            throw CELSyntaxError(message: "Syntax error: mismatched input '\(peekText)' expecting IDENTIFIER", offset: peek.offset)
                        }
                        p += 1
                        try expect(":")
                        fields.append((f, try expr()))
                    } while eat(",")
                    try expect("}")
                }
                return node(off, .message(name: name, fields: fields))
            }
            return node(off, .ident(name))
        case .punct("."):
            p += 1
            guard case .ident(let name) = peek.token else {
                throw CELSyntaxError(message: "Syntax error: no viable alternative at input '.\(peekText)'", offset: peek.offset)
            }
            p += 1
            if eat("(") { return try makeCall(name, target: nil, args: try exprList(close: ")"), offset: off) }
            return node(off, .ident(name))
        case .punct("("):
            p += 1
            let e = try expr()
            try expect(")")
            return e
        case .punct("["):
            p += 1
            var elems: [CELExpr] = []
            var opt = Set<Int>()
            if !eat("]") {
                repeat {
                    if isPunct("]") { break }
                    if eat("?") { opt.insert(elems.count) }
                    elems.append(try expr())
                } while eat(",")
                try expect("]")
            }
            return node(off, .list(elements: elems, optionalIndices: opt))
        case .punct("{"):
            p += 1
            var entries: [CELMapEntry] = []
            if !eat("}") {
                repeat {
                    if isPunct("}") { break }
                    let optional = eat("?")
                    let k = try expr()
                    try expect(":")
                    let v = try expr()
                    entries.append(CELMapEntry(key: k, value: v, optional: optional))
                } while eat(",")
                try expect("}")
            }
            return node(off, .map(entries: entries))
        default:
            throw CELSyntaxError(message: "Syntax error: mismatched input '\(peekText)' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}", offset: off)
        }
    }

    // MARK: macros

    private mutating func makeCall(_ name: String, target: CELExpr?, args: [CELExpr], offset: Int) throws(CELSyntaxError) -> CELExpr {
        if let target, case .ident(let ns) = target.kind, Self.namespaces.contains(ns) {
            return node(offset, .call(function: "\(ns).\(name)", target: nil, args: args))
        }
        if target == nil, name == "has", args.count == 1 {
            guard case .select(let operand, let field, false, false) = args[0].kind else {
                throw CELSyntaxError(message: "invalid argument to has() macro", offset: args[0].offset)
            }
            return node(offset, .select(operand: operand, field: field, testOnly: true, optional: false))
        }
        guard let target else { return node(offset, .call(function: name, target: nil, args: args)) }
        let macros: [String: Set<Int>] = ["all": [2, 3], "exists": [2, 3], "exists_one": [2, 3], "existsOne": [3],
                                          "map": [2, 3], "filter": [2], "optMap": [2], "optFlatMap": [2]]
        guard let arities = macros[name], arities.contains(args.count) else {
            return node(offset, .call(function: name, target: target, args: args))
        }
        guard case .ident(let v) = args[0].kind else {
            throw CELSyntaxError(message: "argument must be a simple name", offset: args[0].offset)
        }
        if v == celAccumulator { throw CELSyntaxError(message: "iteration variable overwrites accumulator variable", offset: args[0].offset) }
        // Two-variable forms (`all(i, v, p)`): the predicate is the third argument.
        var twoVar: String?
        var args = args
        let macroName = name == "existsOne" ? "exists_one" : name
        if args.count == 3, ["all", "exists", "exists_one"].contains(macroName) {
            guard case .ident(let v2) = args[1].kind else {
                throw CELSyntaxError(message: "argument must be a simple name", offset: args[1].offset)
            }
            if v2 == v { throw CELSyntaxError(message: "duplicate variable name: \(v)", offset: args[1].offset) }
            twoVar = v2
            args = [args[0], args[2]]
        }
        let accu = { (s: inout CELParser) in s.node(offset, .ident(celAccumulator)) }
        func call(_ s: inout CELParser, _ f: String, _ a: [CELExpr]) -> CELExpr { s.node(offset, .call(function: f, target: nil, args: a)) }
        func lit(_ s: inout CELParser, _ v: CELValue) -> CELExpr { s.node(offset, .literal(v)) }
        if name == "optMap" || name == "optFlatMap" {
            // o.optMap(v, e) → o.hasValue() ? optional.of(e[v := o.value()]) : optional.none()
            let comp = CELComprehension(iterVar: v, iterRange: target, accuVar: celAccumulator,
                                        accuInit: lit(&self, .null), loopCondition: lit(&self, .bool(false)),
                                        loopStep: args[1], result: args[1], macro: name)
            return node(offset, .comprehension(comp))
        }
        var initial: CELExpr, cond: CELExpr, step: CELExpr, result: CELExpr
        switch macroName {
        case "all":
            initial = lit(&self, .bool(true))
            cond = call(&self, "@not_strictly_false", [accu(&self)])
            step = call(&self, "_&&_", [accu(&self), args[1]])
            result = accu(&self)
        case "exists":
            initial = lit(&self, .bool(false))
            cond = call(&self, "@not_strictly_false", [call(&self, "!_", [accu(&self)])])
            step = call(&self, "_||_", [accu(&self), args[1]])
            result = accu(&self)
        case "exists_one":
            initial = lit(&self, .int(0))
            cond = lit(&self, .bool(true))
            step = call(&self, "_?_:_", [args[1], call(&self, "_+_", [accu(&self), lit(&self, .int(1))]), accu(&self)])
            result = call(&self, "_==_", [accu(&self), lit(&self, .int(1))])
        case "map":
            initial = node(offset, .list(elements: [], optionalIndices: []))
            cond = lit(&self, .bool(true))
            let elem = args.count == 3 ? args[2] : args[1]
            let append = call(&self, "_+_", [accu(&self), node(offset, .list(elements: [elem], optionalIndices: []))])
            step = args.count == 3 ? call(&self, "_?_:_", [args[1], append, accu(&self)]) : append
            result = accu(&self)
        default: // filter
            initial = node(offset, .list(elements: [], optionalIndices: []))
            cond = lit(&self, .bool(true))
            let append = call(&self, "_+_", [accu(&self), node(offset, .list(elements: [args[0]], optionalIndices: []))])
            step = call(&self, "_?_:_", [args[1], append, accu(&self)])
            result = accu(&self)
        }
        let comp = CELComprehension(iterVar: v, iterRange: target, accuVar: celAccumulator, accuInit: initial,
                                    loopCondition: cond, loopStep: step, result: result, macro: macroName, iterVar2: twoVar)
        return node(offset, .comprehension(comp))
    }
}
