import KyvernCEL
import Testing

@Suite struct CELKubernetesLibraryTests {
    @Test(arguments: [
        // strings
        ("'hello'.charAt(1)", CELValue.string("e")),
        ("'hello'.indexOf('l')", .int(2)),
        ("'hello'.lastIndexOf('l')", .int(3)),
        ("'hello'.indexOf('l', 3)", .int(3)),
        ("'HeLLo'.lowerAscii()", .string("hello")),
        ("'hello'.upperAscii()", .string("HELLO")),
        ("'a-b-c'.replace('-', '+')", .string("a+b+c")),
        ("'a-b-c'.replace('-', '+', 1)", .string("a+b-c")),
        ("'a,b,c'.split(',')", .list([.string("a"), .string("b"), .string("c")])),
        ("'a,b,c'.split(',', 2)", .list([.string("a"), .string("b,c")])),
        ("'hello'.substring(1, 3)", .string("el")),
        ("'  x  '.trim()", .string("x")),
        ("['a', 'b'].join('-')", .string("a-b")),
        ("strings.quote('a\"b')", .string("\"a\\\"b\"")),
        ("'abc'.reverse()", .string("cba")),
        ("'%s has %d items (%.2f%%)'.format(['list', 3, 12.345])", .string("list has 3 items (12.35%)")),
        ("'%x %X %o %b'.format([255, 255, 8, 5])", .string("ff FF 10 101")),
        ("'%s'.format([[1, 'a']])", .string("[1, a]")),
        ("'abc'.startsWith('ab') && 'abc'.endsWith('bc')", .bool(true)),
        ("'abc123'.matches('^[a-z]+[0-9]+$')", .bool(true)),
        // lists
        ("[1, 2, 3].isSorted()", .bool(true)),
        ("['b', 'a'].isSorted()", .bool(false)),
        ("[1, 2, 3].sum()", .int(6)),
        ("[1.5, 2.5].sum()", .double(4)),
        ("[3, 1, 2].min()", .int(1)),
        ("[3, 1, 2].max()", .int(3)),
        ("[1, 2, 1].indexOf(1)", .int(0)),
        ("[1, 2, 1].lastIndexOf(1)", .int(2)),
        ("sets.contains([1, 2, 3], [2])", .bool(true)),
        ("sets.intersects([1, 2], [3])", .bool(false)),
        ("sets.equivalent([1, 2], [2, 1, 1])", .bool(true)),
        // regex
        ("'abc 123 def 456'.find('[0-9]+')", .string("123")),
        ("'abc 123 def 456'.findAll('[0-9]+')", .list([.string("123"), .string("456")])),
        ("'abc 123 def 456'.findAll('[0-9]+', 1)", .list([.string("123")])),
        // quantity
        ("quantity('1Gi').isGreaterThan(quantity('1G'))", .bool(true)),
        ("quantity('500m').isLessThan(quantity('1'))", .bool(true)),
        ("quantity('1.5').isInteger()", .bool(false)),
        ("quantity('2k').asInteger()", .int(2000)),
        ("quantity('1.5').asApproximateFloat()", .double(1.5)),
        ("quantity('1').add(quantity('500m')) == quantity('1500m')", .bool(true)),
        ("quantity('1').sub(1).sign()", .int(0)),
        ("quantity('1Mi').compareTo(quantity('1Ki'))", .int(1)),
        ("isQuantity('1Gi') && !isQuantity('1 Gi')", .bool(true)),
        // url
        ("url('https://example.com:8080/path?q=1').getScheme()", .string("https")),
        ("url('https://example.com:8080/path?q=1').getHost()", .string("example.com:8080")),
        ("url('https://example.com:8080/path?q=1').getHostname()", .string("example.com")),
        ("url('https://example.com:8080/path?q=1').getPort()", .string("8080")),
        ("url('https://[::1]:80/').getHostname()", .string("::1")),
        ("url('https://example.com/a%20b').getEscapedPath()", .string("/a%20b")),
        ("url('https://example.com/?k=a&k=b').getQuery()['k']", .list([.string("a"), .string("b")])),
        ("isURL('https://example.com') && !isURL('example.com')", .bool(true)),
    ])
    func evaluates(_ source: String, _ want: CELValue) {
        let got = value(source)
        #expect(got?.same(want) == true, "\(source) gave \(got?.displayString ?? "nil"): \(evalError(source) ?? compileError(source) ?? "")")
    }

    @Test func errors() {
        #expect(evalError("'abc'.substring(5)") == "index out of range: 5")
        #expect(evalError("[].min()")?.contains("empty list") == true)
        #expect(evalError("quantity('1.5').asInteger()") == "cannot convert value to integer")
        #expect(evalError("url('not a url')")?.hasPrefix("URL parse error during conversion from string") == true)
    }
}
