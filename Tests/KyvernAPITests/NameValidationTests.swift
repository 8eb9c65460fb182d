import KyvernAPI
import Testing

@Suite struct NameValidationTests {
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let qualifiedMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    @Test(arguments: ["a", "0", "example.com", "a-b.c-d", "a.b.c", "1-2-3", String(repeating: "a", count: 253),
                      String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 63)])
    func validSubdomains(name: String) {
        #expect(NameValidation.isDNS1123Subdomain(name).isEmpty)
    }

    @Test(arguments: ["", "A", "Bad_Name", "-a", "a-", "a..b", ".a", "a.", "a_b", "a b", "é", "a.-b", "a/b"])
    func invalidSubdomains(name: String) {
        #expect(NameValidation.isDNS1123Subdomain(name) == [Self.subdomainMessage])
    }

    @Test func subdomainLength() {
        #expect(NameValidation.isDNS1123Subdomain(String(repeating: "a", count: 254))
            == ["must be no more than 253 characters"])
        #expect(NameValidation.isDNS1123Subdomain(String(repeating: "A", count: 254))
            == ["must be no more than 253 characters", Self.subdomainMessage])
    }

    @Test func labels() {
        #expect(NameValidation.isDNS1123Label("my-name").isEmpty)
        #expect(NameValidation.isDNS1123Label("123-abc").isEmpty)
        #expect(NameValidation.isDNS1123Label("a.b") == ["must not contain dots"])
        #expect(NameValidation.isDNS1123Label("Bad") == [Self.labelMessage])
        #expect(NameValidation.isDNS1123Label("") == [Self.labelMessage])
        #expect(NameValidation.isDNS1123Label(String(repeating: "a", count: 63)).isEmpty)
        #expect(NameValidation.isDNS1123Label(String(repeating: "a", count: 64)) == ["must be no more than 63 characters"])
        #expect(NameValidation.isDNS1123Label(String(repeating: "a.", count: 40) + "a")
            == ["must be no more than 63 characters", "must not contain dots"])
    }

    @Test func dns1035Labels() {
        #expect(NameValidation.isDNS1035Label("my-name").isEmpty)
        #expect(NameValidation.isDNS1035Label("abc-123").isEmpty)
        #expect(NameValidation.isDNS1035Label("1abc") == [Self.dns1035Message])
        #expect(NameValidation.isDNS1035Label("abc-") == [Self.dns1035Message])
        #expect(NameValidation.isDNS1035Label(String(repeating: "a", count: 64)) == ["must be no more than 63 characters"])
    }

    @Test func pathSegmentNames() {
        #expect(NameValidation.isPathSegmentName("system:controller:x").isEmpty)
        #expect(NameValidation.isPathSegmentName("Any Thing_at~all").isEmpty)
        #expect(NameValidation.isPathSegmentName(".") == ["may not be '.'"])
        #expect(NameValidation.isPathSegmentName("..") == ["may not be '..'"])
        #expect(NameValidation.isPathSegmentName("a/b") == ["may not contain '/'"])
        #expect(NameValidation.isPathSegmentName("a%b") == ["may not contain '%'"])
        #expect(NameValidation.isPathSegmentName("/%") == ["may not contain '/'", "may not contain '%'"])
        #expect(NameValidation.isPathSegmentPrefix("..").isEmpty)
        #expect(NameValidation.isPathSegmentPrefix("a/") == ["may not contain '/'"])
    }

    @Test(arguments: ["a", "A", "MyName", "my.name", "123-abc", "a_b", "example.com/MyName", "k8s.io/a.b-c_d",
                      String(repeating: "x", count: 63), String(repeating: "p", count: 253) + "/n"])
    func validQualifiedNames(name: String) {
        #expect(NameValidation.isQualifiedName(name).isEmpty)
    }

    @Test func invalidQualifiedNames() {
        let nameMessage = "name part " + Self.qualifiedMessage
        #expect(NameValidation.isQualifiedName("") == ["name part must be non-empty", nameMessage])
        #expect(NameValidation.isQualifiedName("-a") == [nameMessage])
        #expect(NameValidation.isQualifiedName("a b") == [nameMessage])
        #expect(NameValidation.isQualifiedName(String(repeating: "x", count: 64)) == ["name part must be no more than 63 characters"])
        #expect(NameValidation.isQualifiedName("/a") == ["prefix part must be non-empty"])
        #expect(NameValidation.isQualifiedName("example.com/") == ["name part must be non-empty", nameMessage])
        #expect(NameValidation.isQualifiedName("Example.com/a") == ["prefix part " + Self.subdomainMessage])
        #expect(NameValidation.isQualifiedName(String(repeating: "p", count: 254) + "/a")
            == ["prefix part must be no more than 253 characters"])
        #expect(NameValidation.isQualifiedName("a/b/c") == ["a qualified name " + Self.qualifiedMessage
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"])
    }

    @Test func labelValues() {
        for ok in ["", "a", "MyValue", "my_value", "12345", "a.b-c_d", String(repeating: "v", count: 63)] {
            #expect(NameValidation.isValidLabelValue(ok).isEmpty, "\(ok)")
        }
        let message = Self.labelValueMessage
        #expect(NameValidation.isValidLabelValue("-a") == [message])
        #expect(NameValidation.isValidLabelValue("a/b") == [message])
        #expect(NameValidation.isValidLabelValue("a b") == [message])
        #expect(NameValidation.isValidLabelValue(String(repeating: "v", count: 64)) == ["must be no more than 63 characters"])
        #expect(NameValidation.isValidLabelValue(String(repeating: "v", count: 63) + "-")
            == ["must be no more than 63 characters", message])
    }

    @Test func messageBuilders() {
        #expect(NameValidation.maxLenError(5) == "must be no more than 5 characters")
        #expect(NameValidation.regexError("msg", "fmt") == "msg (regex used for validation is 'fmt')")
        #expect(NameValidation.regexError("msg", "fmt", "a", "b") == "msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')")
        #expect(NameValidation.emptyError() == "must be non-empty")
    }

    @Test func nameRules() {
        #expect(NameRule.dns1123Subdomain.validate("web").isEmpty)
        #expect(NameRule.dns1123Subdomain.validate("web-") == [Self.subdomainMessage])
        #expect(NameRule.dns1123Subdomain.validate("web-", prefix: true).isEmpty)
        #expect(NameRule.dns1123Subdomain.validate("Web-", prefix: true) == [Self.subdomainMessage])
        #expect(NameRule.dns1123Subdomain.validate("-", prefix: true) == [Self.subdomainMessage])
        #expect(NameRule.dns1123Label.validate("a.b") == ["must not contain dots"])
        #expect(NameRule.dns1123Label.validate("ns-", prefix: true).isEmpty)
        #expect(NameRule.dns1035Label.validate("1svc").count == 1)
        #expect(NameRule.dns1035Label.validate("svc-", prefix: true).isEmpty)
        #expect(NameRule.pathSegment.validate("..") == ["may not be '..'"])
        #expect(NameRule.pathSegment.validate("..", prefix: true).isEmpty)
        #expect(NameRule.pathSegment.validate("system:node:x").isEmpty)
    }
}
