/// What an expression may reference: typed variables and the libraries Kubernetes enables.
///
/// `sizes` bounds the length of strings, lists and maps reachable from a variable (by path, e.g.
/// `self.spec.items` and `self.spec.items.@items` for its elements); the cost estimator multiplies by them,
/// as upstream's estimator reads maxLength/maxItems/maxProperties.
public struct CELEnvironment: Sendable {
    public var variables: [String: CELType]
    public var sizes: [String: Double]
    let functions: CELFunctionTable

    public init(variables: [String: CELType], sizes: [String: Double] = [:]) {
        self.variables = variables
        self.sizes = sizes
        self.functions = CELLibraries.kubernetes
    }

    /// Parses, checks and estimates the cost of `source`.
    /// `typeCheck: false` only parses (errors surface at run time), as cel-go's unchecked ASTs.
    public func compile(_ source: String, typeCheck: Bool = true) -> Result<CELProgram, CELCompileError> {
        let expr: CELExpr
        do {
            expr = try CELParser.parse(source)
        } catch {
            return .failure(CELCompileError(source: source, issues: [CELIssue(offset: error.offset, message: error.message)]))
        }
        var checker = CELChecker(variables: variables, functions: functions)
        let type = checker.check(expr)
        if typeCheck, !checker.issues.isEmpty {
            return .failure(CELCompileError(source: source, issues: checker.issues))
        }
        var estimator = CELCostEstimator(types: checker.types, functions: functions, sizes: sizes)
        let cost = estimator.estimate(expr)
        return .success(CELProgram(source: source, expr: expr, resultType: type, estimatedCost: cost, functions: functions))
    }
}

enum CELLibraries {
    static let kubernetes: CELFunctionTable = {
        var t = CELStandardLibrary.table
        CELStringsLibrary.add(&t)
        CELStringFormat.add(&t)
        CELKubernetesLists.add(&t)
        CELQuantityLibrary.add(&t)
        CELURLLibrary.add(&t)
        return t
    }()
}

/// A checked expression, ready to evaluate any number of times (concurrently: it is a value).
public struct CELProgram: Sendable {
    public let source: String
    let expr: CELExpr
    public let resultType: CELType
    /// Upstream's estimated maximum cost (saturating).
    public let estimatedCost: UInt64
    let functions: CELFunctionTable

    /// Evaluates with the given bindings; `costLimit` stops a run that exceeds it
    /// (cel-go's "operation cancelled: actual cost limit exceeded").
    public func evaluate(_ bindings: [String: CELValue], costLimit: UInt64? = nil) -> CELResult {
        var ev = CELEvaluator(variables: bindings, functions: functions, costLimit: costLimit)
        do throws(CELEvalError) {
            let v = try ev.eval(expr)
            return CELResult(value: .success(v), cost: ev.cost)
        } catch {
            return CELResult(value: .failure(error), cost: ev.cost)
        }
    }
}

public struct CELResult: Sendable {
    public var value: Result<CELValue, CELEvalError>
    /// The actual cost of the run, counted as cel-go's tracker does.
    public var cost: UInt64
}

/// Compile-time errors, rendered as cel-go renders them: one `ERROR: <input>:line:col: message`
/// with the source line and a caret per issue.
public struct CELCompileError: Error, Sendable, CustomStringConvertible {
    public let source: String
    let issues: [CELIssue]

    public var messages: [String] { issues.map(\.message) }

    public var description: String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        return issues.sorted { $0.offset < $1.offset }.map { issue in
            var line = 0, col = issue.offset
            while line < lines.count - 1, col > lines[line].count { col -= lines[line].count + 1; line += 1 }
            let text = String(String.UnicodeScalarView(lines[line])).replacingTabs
            return "ERROR: <input>:\(line + 1):\(col + 1): \(issue.message)\n | \(text)\n | \(String(repeating: ".", count: col))^"
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate var replacingTabs: String { split(separator: "\t", omittingEmptySubsequences: false).joined(separator: " ") }
}
