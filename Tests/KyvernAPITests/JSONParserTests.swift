import KyvernAPI
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    func error(_ text: String) -> JSONParseError? {
        do {
            _ = try JSONValue.parse(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    // MARK: values

    @Test func scalars() throws {
        #expect(try parse("null") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("\"hi\"") == .string("hi"))
        #expect(try parse("\"\"") == .string(""))
    }

    @Test(arguments: [
        ("0", JSONValue.int(0)),
        ("-0", .int(0)),
        ("7", .int(7)),
        ("-123", .int(-123)),
        ("9223372036854775807", .int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", .double(9223372036854775808.0)),
        ("-9223372036854775809", .double(-9223372036854775809.0)),
        ("18446744073709551616", .double(18446744073709551616.0)),
        ("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ("1.5", .double(1.5)),
        ("-0.25", .double(-0.25)),
        ("1e3", .double(1000)),
        ("1E-2", .double(0.01)),
        ("2.5e+2", .double(250)),
        ("0.1", .double(0.1)),
        ("1.0", .double(1.0)),
        ("5e-324", .double(.leastNonzeroMagnitude)),
        ("1.7976931348623157e308", .double(1.7976931348623157e308)),
    ])
    func numbers(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test func negativeZeroDoubleKeepsItsSign() throws {
        guard case .double(let d) = try parse("-0.0") else {
            Issue.record("not a double")
            return
        }
        #expect(d == 0 && d.sign == .minus)
    }

    @Test func arraysAndObjects() throws {
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([:]))
        #expect(try parse("[1,\"a\",null,[true],{}]") == [1, "a", nil, [true], [:]])
        #expect(try parse(#"{"a":{"b":[1,2,{"c":false}]},"d":-1.5}"#)
            == ["a": ["b": [1, 2, ["c": false]]], "d": -1.5])
    }

    @Test func whitespaceEverywhere() throws {
        let text = " \t\r\n{ \"a\" \n:\t[ 1 , 2 ] ,\r\n \"b\" : { } } \n "
        #expect(try parse(text) == ["a": [1, 2], "b": [:]])
    }

    @Test func duplicateKeysLastWins() throws {
        #expect(try parse(#"{"a":1,"b":2,"a":3}"#) == ["a": 3, "b": 2])
        #expect(try parse(#"{"a":{"x":1},"a":{"y":2}}"#) == ["a": ["y": 2]])
    }

    // MARK: strings

    @Test(arguments: [
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u0041\u00e9\u4e2D""#, "Aé中"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\uD83D\uDE00x""#, "😀x"),
        (#""a\ud83db""#, "a\u{FFFD}b"),
        (#""\ude00""#, "\u{FFFD}"),
        (#""\ud83d\u0041""#, "\u{FFFD}A"),
        (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
        (#""\u0000""#, "\u{0}"),
        (#""plain é 😀 text""#, "plain é 😀 text"),
        (#""before\nafter with a longer tail that is not inline""#, "before\nafter with a longer tail that is not inline"),
    ])
    func strings(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test func escapedKeys() throws {
        #expect(try parse(#"{"a\"b":1,"\u00e9":2}"#) == ["a\"b": 1, "é": 2])
    }

    @Test func invalidUTF8IsReplacedAsGoDoes() throws {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0x22]
        #expect(try JSONValue.parse(bytes) == .string("a\u{FFFD}b"))
    }

    @Test func longStringsAndDeepButAllowedNesting() throws {
        let long = String(repeating: "x", count: 100_000)
        #expect(try parse("\"\(long)\"") == .string(long))
        let depth = JSONValue.maxParseDepth
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try parse(nested)
        var levels = 0
        while case .array(let a) = value {
            levels += 1
            value = a.first ?? .null
        }
        #expect(levels == depth)
    }

    // MARK: inputs of other shapes

    @Test func acceptsAnyByteCollection() throws {
        let text = #"{"k":[1,2.5,"v"]}"#
        let expected: JSONValue = ["k": [1, 2.5, "v"]]
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
        #expect(try JSONValue.parse(Array(text.utf8)[...]) == expected)
        #expect(try JSONValue.parse(text.utf8) == expected)
        // Not contiguous: goes through the copying path.
        #expect(try JSONValue.parse(Array(text.utf8).lazy.map { $0 }) == expected)
        let viaPointer = try Array(text.utf8).withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try JSONValue.parse(raw) }
        }.get()
        #expect(viaPointer == expected)
    }

    // MARK: errors, worded as Go's encoding/json

    @Test(arguments: [
        ("", "unexpected end of JSON input"),
        ("   \n", "unexpected end of JSON input"),
        ("x", "invalid character 'x' looking for beginning of value"),
        ("'a'", "invalid character '\\'' looking for beginning of value"),
        ("}", "invalid character '}' looking for beginning of value"),
        ("{", "unexpected end of JSON input"),
        ("[", "unexpected end of JSON input"),
        ("[1", "unexpected end of JSON input"),
        ("[1,", "unexpected end of JSON input"),
        ("[1,]", "invalid character ']' looking for beginning of value"),
        ("[1 2]", "invalid character '2' after array element"),
        ("[1:2]", "invalid character ':' after array element"),
        (#"{"a" 1}"#, "invalid character '1' after object key"),
        (#"{"a":1 "b":2}"#, "invalid character '\"' after object key:value pair"),
        (#"{"a":1]"#, "invalid character ']' after object key:value pair"),
        ("{1:2}", "invalid character '1' looking for beginning of object key string"),
        (#"{"a":1,}"#, "invalid character '}' looking for beginning of object key string"),
        (#"{"a":}"#, "invalid character '}' looking for beginning of value"),
        (#"{"a""#, "unexpected end of JSON input"),
        (#"{"a":"#, "unexpected end of JSON input"),
        ("1 2", "invalid character '2' after top-level value"),
        ("{} x", "invalid character 'x' after top-level value"),
        ("01", "invalid character '1' after top-level value"),
        ("[01]", "invalid character '1' after array element"),
        ("-", "unexpected end of JSON input"),
        ("-a", "invalid character 'a' in numeric literal"),
        ("+1", "invalid character '+' looking for beginning of value"),
        (".5", "invalid character '.' looking for beginning of value"),
        ("1.", "unexpected end of JSON input"),
        ("1.a", "invalid character 'a' after decimal point in numeric literal"),
        ("1e", "unexpected end of JSON input"),
        ("1e+", "unexpected end of JSON input"),
        ("1ex", "invalid character 'x' in exponent of numeric literal"),
        ("1e+x", "invalid character 'x' in exponent of numeric literal"),
        ("tru", "unexpected end of JSON input"),
        ("trux", "invalid character 'x' in literal true (expecting 'e')"),
        ("fals3", "invalid character '3' in literal false (expecting 'e')"),
        ("nUll", "invalid character 'U' in literal null (expecting 'u')"),
        ("\"abc", "unexpected end of JSON input"),
        ("\"a\nb\"", "invalid character '\\n' in string literal"),
        ("\"a\tb\"", "invalid character '\\t' in string literal"),
        ("\"a\u{1}b\"", "invalid character '\\x01' in string literal"),
        (#""\x""#, "invalid character 'x' in string escape code"),
        (#""\'""#, "invalid character '\\'' in string escape code"),
        (#""\u12G4""#, "invalid character 'G' in \\u hexadecimal character escape"),
        (#""\u12"#, "unexpected end of JSON input"),
        (#""abc\"#, "unexpected end of JSON input"),
        ("1e400", "json: cannot unmarshal number 1e400 into Go value of type float64"),
        ("\u{00e9}", "invalid character 'Ã' looking for beginning of value"),
    ])
    func errorMessages(text: String, message: String) {
        #expect(error(text)?.message == message)
        #expect(error(text)?.description == message)
    }

    @Test func errorOffsets() {
        #expect(error("[1, x]")?.offset == 4)
        #expect(error("{\"a\":1,}")?.offset == 7)
        #expect(error("[1,2")?.offset == 4)
    }

    @Test func nestingDeeperThanTheLimitIsRefused() {
        let depth = JSONValue.maxParseDepth + 1
        #expect(error(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))?.message
            == "exceeded max depth")
        #expect(error(String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth))?.message
            == "exceeded max depth")
    }

    @Test func errorsInsideLargeDocumentsDoNotLeakOrCrash() {
        // Values already gathered on the parser's stacks are released when parsing fails.
        let items = (0..<1000).map { "{\"name\":\"object-number-\($0)\",\"list\":[1,2,3]}" }.joined(separator: ",")
        #expect(error("[" + items + ",{\"bad\" 1}]")?.message == "invalid character '1' after object key")
    }

    @Test func duplicatesCanBeReported() throws {
        let (value, duplicates) = try JSONValue.parseReportingDuplicates(Array(#"{"a":1,"b":{"c":1,"c":2},"a":3}"#.utf8))
        #expect(value == ["a": 3, "b": ["c": 2]])
        #expect(duplicates.sorted() == ["a", "c"])
        #expect(try JSONValue.parseReportingDuplicates(Array("[1]".utf8)).duplicateKeys.isEmpty)
    }
}
