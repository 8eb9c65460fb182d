import KyvernCEL
import Testing

@Suite struct CELEvaluationTests {
    @Test(arguments: [
        ("1 + 2 * 3", CELValue.int(7)),
        ("(1 + 2) * 3", .int(9)),
        ("7 / 2", .int(3)),
        ("-7 % 3", .int(-1)),
        ("2u + 3u", .uint(5)),
        ("1.5 * 2.0", .double(3)),
        ("'ab' + 'cd'", .string("abcd")),
        ("[1] + [2, 3]", .list([.int(1), .int(2), .int(3)])),
        ("-9223372036854775808", .int(.min)),
        ("0x1F", .int(31)),
        ("1 < 2 && 2.5 > 2", .bool(true)),
        ("1 < 1.5", .bool(true)),
        ("dyn(1) == 1u", .bool(true)),
        ("dyn(1) == 1.0", .bool(true)),
        ("'b' > 'a'", .bool(true)),
        ("true ? 'yes' : 'no'", .string("yes")),
        ("2 in [1, 2, 3]", .bool(true)),
        ("'k' in {'k': 1}", .bool(true)),
        ("{'a': 1, 'b': 2}['b']", .int(2)),
        ("size('héllo')", .int(5)),
        ("'hello'.size()", .int(5)),
        ("size([1, 2])", .int(2)),
        ("type(1) == int", .bool(true)),
        ("type('') == string", .bool(true)),
        ("type([]) == list", .bool(true)),
        ("int('42') + int(2.9)", .int(44)),
        ("uint(42)", .uint(42)),
        ("double(1) / 2.0", .double(0.5)),
        ("string(1.5)", .string("1.5")),
        ("string(1000000.0)", .string("1e+06")),
        ("string(123u)", .string("123")),
        ("bool('true')", .bool(true)),
        ("bytes('abc') == b'abc'", .bool(true)),
        ("r'\\d' == '\\\\d'", .bool(true)),
        ("'''multi\nline'''.contains('\\n')", .bool(true)),
        ("'\\x41\\u00e9\\101'", .string("AéA")),
    ])
    func evaluates(_ source: String, _ want: CELValue) {
        let got = value(source)
        #expect(got?.same(want) == true, "\(source) gave \(got?.displayString ?? "nil")")
    }

    @Test(arguments: [
        ("9223372036854775807 + 1", "integer overflow"),
        ("-9223372036854775808 - 1", "integer overflow"),
        ("-(-9223372036854775808)" , "integer overflow"),
        ("9223372036854775807 * 2", "integer overflow"),
        ("-9223372036854775808 / -1", "integer overflow"),
        ("0u - 1u", "unsigned integer overflow"),
        ("1 / 0", "division by zero"),
        ("1 % 0", "modulus by zero"),
        ("[1, 2][5]", "index out of bounds: 5"),
        ("{'a': 1}['b']", "no such key: b"),
        ("int(1e100)", "range error"),
        ("uint(-1)", "range error"),
    ])
    func fails(_ source: String, _ message: String) {
        #expect(evalError(source) == message)
    }

    @Test func logicAbsorbsErrors() {
        #expect(value("false && (1 / 0 == 1)")?.same(.bool(false)) == true)
        #expect(value("(1 / 0 == 1) && false")?.same(.bool(false)) == true)
        #expect(value("(1 / 0 == 1) || true")?.same(.bool(true)) == true)
        #expect(evalError("(1 / 0 == 1) || false") == "division by zero")
    }

    @Test func macros() {
        #expect(value("[1, 2, 3].all(x, x > 0)")?.same(.bool(true)) == true)
        #expect(value("[1, 2, 3].exists(x, x == 2)")?.same(.bool(true)) == true)
        #expect(value("[1, 2, 3].exists_one(x, x > 1)")?.same(.bool(false)) == true)
        #expect(value("[1, 2, 3].map(x, x * 2)")?.same(.list([.int(2), .int(4), .int(6)])) == true)
        #expect(value("[1, 2, 3].map(x, x > 1, x * 10)")?.same(.list([.int(20), .int(30)])) == true)
        #expect(value("[1, 2, 3].filter(x, x != 2)")?.same(.list([.int(1), .int(3)])) == true)
        #expect(value("{'a': 1, 'b': 2}.all(k, k.size() == 1)")?.same(.bool(true)) == true)
        // An error in one element is absorbed when another decides the result.
        #expect(value("[0, 1].exists(x, 1 / x == 1)")?.same(.bool(true)) == true)
        #expect(value("[[1, 2], [3]].map(l, l.size())")?.same(.list([.int(2), .int(1)])) == true)
        // Two-variable forms: index and element, key and value.
        #expect(value("[10, 20].all(i, v, v == (i + 1) * 10)")?.same(.bool(true)) == true)
        #expect(value("{'a': 1, 'b': 2}.exists(k, v, k == 'b' && v == 2)")?.same(.bool(true)) == true)
        #expect(value("[1, 2, 3].exists_one(i, v, i == v)")?.same(.bool(false)) == true)
        #expect(value("[0, 2, 3].existsOne(i, v, i == v)")?.same(.bool(true)) == true)
    }

    @Test func hasAndFieldSelection() {
        let obj = CELValue.map(CELMap(stringKeyed: [("a", .int(1)), ("nested", .map(CELMap(stringKeyed: [("b", .string("x"))])))]))
        #expect(value("has(o.a)", ["o": obj])?.same(.bool(true)) == true)
        #expect(value("has(o.z)", ["o": obj])?.same(.bool(false)) == true)
        #expect(value("o.nested.b", ["o": obj])?.same(.string("x")) == true)
        #expect(evalError("o.z", ["o": obj]) == "no such key: z")
    }

    @Test func optionals() {
        let obj = CELValue.map(CELMap(stringKeyed: [("a", .int(1))]))
        #expect(value("o.?a.orValue(5)", ["o": obj])?.same(.int(1)) == true)
        #expect(value("o.?z.orValue(5)", ["o": obj])?.same(.int(5)) == true)
        #expect(value("o.?z.y.hasValue()", ["o": obj])?.same(.bool(false)) == true)
        #expect(value("[1, 2][?5].hasValue()")?.same(.bool(false)) == true)
        #expect(value("optional.of(2).value()")?.same(.int(2)) == true)
        #expect(value("optional.none().or(optional.of(3)).value()")?.same(.int(3)) == true)
        #expect(value("[1, ?optional.none(), ?optional.of(3)]")?.same(.list([.int(1), .int(3)])) == true)
        #expect(value("{?'a': optional.none(), 'b': 2}.size()")?.same(.int(1)) == true)
        #expect(value("optional.of(4).optMap(x, x * 2).value()")?.same(.int(8)) == true)
        #expect(evalError("optional.none().value()") == "optional.none() dereference")
    }

    @Test func timestampsAndDurations() {
        #expect(value("timestamp('2009-02-13T23:31:30Z') + duration('1h')")?.same(.timestamp(seconds: 1_234_571_490, nanos: 0)) == true)
        #expect(value("string(timestamp('2009-02-13T23:31:30.5Z'))")?.same(.string("2009-02-13T23:31:30.5Z")) == true)
        #expect(value("timestamp('2009-02-13T23:31:30Z').getFullYear()")?.same(.int(2009)) == true)
        #expect(value("timestamp('2009-02-13T23:31:30Z').getMonth()")?.same(.int(1)) == true)
        #expect(value("timestamp('2009-02-13T23:31:30Z').getDayOfWeek()")?.same(.int(5)) == true)
        #expect(value("timestamp('2009-02-13T23:31:30Z').getHours('+01:00')")?.same(.int(0)) == true)
        #expect(value("duration('1h30m').getMinutes()")?.same(.int(90)) == true)
        #expect(value("string(duration('90s'))")?.same(.string("90s")) == true)
        #expect(value("timestamp('2020-01-01T00:00:00Z') - timestamp('2019-12-31T00:00:00Z') == duration('24h')")?.same(.bool(true)) == true)
        #expect(value("duration('1s') < duration('2s')")?.same(.bool(true)) == true)
    }

    @Test func costLimitStopsEvaluation() throws {
        let env = CELEnvironment(variables: ["l": .list(.int)])
        let program = try env.compile("l.all(a, l.all(b, a + b >= 0))").get()
        let list = CELValue.list((0..<200).map { .int(Int64($0)) })
        let unlimited = program.evaluate(["l": list])
        #expect(unlimited.cost > 1000)
        let limited = program.evaluate(["l": list], costLimit: 1000)
        guard case .failure(let e) = limited.value else { Issue.record("expected a cost error"); return }
        #expect(e.costExceeded)
        #expect(e.message == "operation cancelled: actual cost limit exceeded")
    }
}
