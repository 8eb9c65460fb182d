import KyvernCEL
import Testing

@Suite struct CELCheckerTests {
    let obj = CELType.object(CELObjectType(name: "Spec", fields: ["replicas": .int, "name": .string, "tags": .list(.string)]))

    @Test func undeclaredReference() {
        #expect(compileError("foo + 1") == """
        ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')
         | foo + 1
         | ^
        """)
    }

    @Test func undefinedField() {
        #expect(compileError("self.replicas > 0 && self.nope", types: ["self": obj]) == """
        ERROR: <input>:1:26: undefined field 'nope'
         | self.replicas > 0 && self.nope
         | .........................^
        """)
    }

    @Test func noMatchingOverload() {
        #expect(compileError("self.replicas + self.name", types: ["self": obj]) == """
        ERROR: <input>:1:15: found no matching overload for '_+_' applied to '(int, string)'
         | self.replicas + self.name
         | ..............^
        """)
        #expect(compileError("self.name.startsWith(1)", types: ["self": obj])?.contains(
            "found no matching overload for 'startsWith' applied to 'string.(int)'") == true)
        #expect(compileError("1 == 1u")?.contains("found no matching overload for '_==_' applied to '(int, uint)'") == true)
        #expect(compileError("undefinedFn(1)")?.contains("undeclared reference to 'undefinedFn'") == true)
    }

    @Test func macroMisuse() {
        #expect(compileError("[1].all(1, true)")?.contains("argument must be a simple name") == true)
        #expect(compileError("has(self)", types: ["self": obj])?.contains("invalid argument to has() macro") == true)
        #expect(compileError("self.tags.all(t, t)", types: ["self": obj])?.contains("found no matching overload for '_&&_' applied to '(bool, string)'") == true)
        #expect(compileError("1.all(x, true)")?.contains("cannot be range of a comprehension") == true)
    }

    @Test func syntaxErrors() {
        #expect(compileError("1 +") != nil)
        #expect(compileError("'unterminated") != nil)
        #expect(compileError("if")?.contains("reserved identifier: if") == true)
    }

    @Test func resultTypes() throws {
        let env = CELEnvironment(variables: ["self": obj])
        #expect(try env.compile("self.replicas > 1").get().resultType == .bool)
        #expect(try env.compile("self.tags.map(t, t.size())").get().resultType == .list(.int))
        #expect(try env.compile("self.?name").get().resultType == .optional(.string))
        #expect(try env.compile("self.tags.filter(t, t != '')").get().resultType == .list(.string))
    }

    @Test func dynSkipsChecks() throws {
        #expect(compileError("x.anything + 1", types: ["x": .dyn]) == nil)
    }

    @Test func estimatedCostGrowsWithSizes() throws {
        let env = CELEnvironment(variables: ["self": .list(.string)], sizes: ["self": 10, "self.@items": 20])
        let small = try env.compile("self.all(s, s.contains('x'))").get().estimatedCost
        let unbounded = try CELEnvironment(variables: ["self": .list(.string)]).compile("self.all(s, s.contains('x'))").get().estimatedCost
        #expect(small < 200)
        #expect(unbounded > 10_000_000)
    }
}
