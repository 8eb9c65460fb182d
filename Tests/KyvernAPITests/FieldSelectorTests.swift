import KyvernAPI
import Testing

@Suite struct FieldSelectorTests {
    let fields: [String: String] = ["metadata.name": "web-1", "metadata.namespace": "default",
                                    "status.phase": "Running", "spec.nodeName": ""]

    func parseError(_ text: String) -> APIError? {
        do {
            _ = try FieldSelector.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("", true),
        ("metadata.name=web-1", true), ("metadata.name=web-2", false),
        ("metadata.name==web-1", true), ("metadata.name==web-2", false),
        ("metadata.name!=web-2", true), ("metadata.name!=web-1", false),
        ("spec.nodeName=", true), ("spec.nodeName!=", false),
        ("missing.field=", true), ("missing.field=x", false), ("missing.field!=x", true),
        ("metadata.name=web-1,status.phase=Running", true),
        ("metadata.name=web-1,status.phase!=Running", false),
        ("metadata.name=web-1,", true), (",,metadata.name=web-1", true),
    ])
    func matches(selector: String, expected: Bool) throws {
        #expect(try FieldSelector.parse(selector).matches(fields) == expected)
    }

    @Test func requirementsAreSortedTermsWithEachOperator() throws {
        let s = try FieldSelector.parse("status.phase!=Failed,metadata.name==a,spec.nodeName=n1")
        #expect(s.requirements == [
            .init(field: "metadata.name", op: .doubleEquals, value: "a"),
            .init(field: "spec.nodeName", op: .equals, value: "n1"),
            .init(field: "status.phase", op: .notEquals, value: "Failed"),
        ])
        #expect(s.fieldNames == ["metadata.name", "spec.nodeName", "status.phase"])
        #expect(s.description == "metadata.name=a,spec.nodeName=n1,status.phase!=Failed")
    }

    @Test func firstOperatorSplitsTheTerm() throws {
        // "a!=b" is not-equals, never "a!" equals "b"; "a==b" is double-equals, never "a" equals "=b".
        #expect(try FieldSelector.parse("a!=b").requirements == [.init(field: "a", op: .notEquals, value: "b")])
        #expect(try FieldSelector.parse("a==b").requirements == [.init(field: "a", op: .doubleEquals, value: "b")])
        #expect(try FieldSelector.parse("=b").requirements == [.init(field: "", op: .equals, value: "b")])
        // No whitespace handling upstream: spaces are part of names and values.
        #expect(try FieldSelector.parse(" a = b ").requirements == [.init(field: " a ", op: .equals, value: " b ")])
    }

    @Test func escapedValues() throws {
        let s = try FieldSelector.parse(#"metadata.name=a\,b\=c\\d,x=y"#)
        #expect(s.requirements == [
            .init(field: "metadata.name", op: .equals, value: #"a,b=c\d"#),
            .init(field: "x", op: .equals, value: "y"),
        ])
        #expect(s.description == #"metadata.name=a\,b\=c\\d,x=y"#)
        #expect(try FieldSelector.parse(s.description) == s)
        #expect(FieldSelector.escapeValue("plain") == "plain")
        #expect(FieldSelector.escapeValue(#"a,b=c\"#) == #"a\,b\=c\\"#)
        #expect(try FieldSelector.unescapeValue(#"é\,x"#) == "é,x")
    }

    @Test(arguments: [
        ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
        ("a=b,foo", "invalid selector: 'a=b,foo'; can't understand 'foo'"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        (#"a=b\"#, #"invalid field selector: invalid escape sequence: \"#),
        (#"a=b\x"#, #"invalid field selector: invalid escape sequence: \x"#),
        (#"a\=b=c"#, "invalid field selector: unescaped character in value: 61"),
    ])
    func errors(selector: String, message: String) {
        let error = parseError(selector)
        #expect(error?.message == message)
        #expect(error?.code == 400)
    }

    @Test func unescapedCommaInAValueIsReportedByItsCodePoint() {
        #expect(throws: APIError.badRequest("invalid field selector: unescaped character in value: 44")) {
            try FieldSelector.unescapeValue("a,b")
        }
    }

    @Test func everythingSetsAndExactMatches() throws {
        #expect(FieldSelector.everything.isEmpty)
        #expect(FieldSelector.everything.matches([:]))
        let set = FieldSelector(matching: ["spec.nodeName": "n1", "metadata.namespace": "kube-system"])
        #expect(set.description == "metadata.namespace=kube-system,spec.nodeName=n1")
        #expect(set.matches(["spec.nodeName": "n1", "metadata.namespace": "kube-system"]))
        #expect(!set.matches(["spec.nodeName": "n1"]))
        let s = try FieldSelector.parse("spec.nodeName=n1,status.phase!=Failed,metadata.name==x")
        #expect(s.requiresExactMatch("spec.nodeName") == "n1")
        #expect(s.requiresExactMatch("metadata.name") == "x")
        #expect(s.requiresExactMatch("status.phase") == nil)
        #expect(s.requiresExactMatch("other") == nil)
    }
}
