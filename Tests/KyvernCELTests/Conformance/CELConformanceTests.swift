import KyvernCEL
import Testing

/// One case of cel-spec's conformance suite: an expression, its bindings and the expected value or error.
struct CELConformanceCase: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable { case value(CELValue), error }
    var name: String
    var expr: String
    var expected: Expected
    var bindings: [String: CELValue]
    var check: Bool

    init(_ name: String, _ expr: String, _ expected: Expected, _ bindings: [String: CELValue], check: Bool) {
        self.name = name
        self.expr = expr
        self.expected = expected
        self.bindings = bindings
        self.check = check
    }

    var testDescription: String { name }
}

@Suite struct CELConformanceTests {
    @Test(arguments: CELConformanceCase.all)
    func conformance(_ c: CELConformanceCase) {
        let env = CELEnvironment(variables: c.bindings.mapValues { _ in CELType.dyn })
        let program: CELProgram
        switch env.compile(c.expr, typeCheck: c.check) {
        case .success(let p): program = p
        case .failure(let e):
            Issue.record("\(c.name): does not compile: \(e)")
            return
        }
        let result = program.evaluate(c.bindings).value
        switch (c.expected, result) {
        case (.value(let want), .success(let got)):
            #expect(got.same(want), "\(c.name): \(c.expr) gave \(got.displayString), want \(want.displayString)")
        case (.error, .failure):
            break
        case (.value(let want), .failure(let err)):
            Issue.record("\(c.name): \(c.expr) failed (\(err.message)), want \(want.displayString)")
        case (.error, .success(let got)):
            Issue.record("\(c.name): \(c.expr) gave \(got.displayString), want an error")
        }
    }
}
