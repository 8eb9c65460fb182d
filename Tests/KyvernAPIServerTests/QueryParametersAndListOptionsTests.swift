import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("QueryParameters")
struct QueryParametersTests {
    @Test("nil and empty queries have no parameters")
    func empty() {
        #expect(QueryParameters(nil)["a"] == nil)
        #expect(QueryParameters("")["a"] == nil)
        #expect(QueryParameters("").all("a") == [])
    }

    @Test("plain key=value pairs")
    func plain() {
        let q = QueryParameters("limit=10&watch=true")
        #expect(q["limit"] == "10")
        #expect(q["watch"] == "true")
        #expect(q["missing"] == nil)
    }

    @Test("percent-decoding of keys and values")
    func percentDecoding() {
        let q = QueryParameters("labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29&field%53elector=x")
        #expect(q["labelSelector"] == "app=web,tier in (a,b)")
        #expect(q["fieldSelector"] == "x")
    }

    @Test("lower- and upper-case hex digits")
    func hexCase() {
        #expect(QueryParameters("v=%2f%2F")["v"] == "//")
    }

    @Test("multi-byte UTF-8 sequences are decoded")
    func utf8() {
        #expect(QueryParameters("v=%C3%A9t%C3%A9")["v"] == "été")
    }

    @Test("'+' is a space, '%2B' is a plus")
    func plusIsSpace() {
        let q = QueryParameters("labelSelector=app+in+(a,b)&v=1%2B1")
        #expect(q["labelSelector"] == "app in (a,b)")
        #expect(q["v"] == "1+1")
    }

    @Test("a key without '=' has an empty value; '=' inside a value is kept")
    func keyWithoutValue() {
        let q = QueryParameters("verbose&fieldSelector=metadata.name=x")
        #expect(q["verbose"] == "")
        #expect(q["fieldSelector"] == "metadata.name=x")
    }

    @Test("empty pairs are skipped")
    func emptyPairs() {
        let q = QueryParameters("&&a=1&&")
        #expect(q["a"] == "1")
        #expect(q[""] == nil)
    }

    @Test("repeated keys: subscript is the first, all() every value in order")
    func repeatedKeys() {
        let q = QueryParameters("dryRun=All&dryRun=Other&x=1")
        #expect(q["dryRun"] == "All")
        #expect(q.all("dryRun") == ["All", "Other"])
        #expect(q.all("x") == ["1"])
        #expect(q.all("nope") == [])
    }

    @Test("bool values", arguments: [
        ("true", true), ("True", true), ("TRUE", true), ("1", true), ("t", true), ("T", true),
        ("false", false), ("False", false), ("0", false), ("f", false), ("", false),
    ])
    func bools(_ raw: String, _ expected: Bool) {
        #expect(QueryParameters("watch=\(raw)").bool("watch") == expected)
    }

    @Test("bool: unparsable or missing is nil")
    func boolNil() {
        #expect(QueryParameters("watch=yes").bool("watch") == nil)
        #expect(QueryParameters("watch=2").bool("watch") == nil)
        #expect(QueryParameters("other=true").bool("watch") == nil)
    }

    @Test("bool: a key present without a value is false")
    func boolBare() {
        #expect(QueryParameters("watch").bool("watch") == false)
    }

    @Test("decode: a trailing percent sign is an invalid escape, as Go says")
    func trailingPercent() {
        #expect(QueryParameters.decode("100%") == nil)
    }

    @Test("upstream: a pair with an invalid escape is dropped, not mangled")
    func invalidEscape() {
        // Go's url.ParseQuery (behind Request.URL.Query()) skips a pair whose escape is invalid.
        // QueryParameters.decode consumes the two bytes after '%' even when they are not hex digits,
        // so "50%off" becomes "50%f" and "%4" becomes "%".
        let q = QueryParameters("a=50%off&b=%4&c=1")
        #expect(q["c"] == "1")
        #expect(q["a"] == nil)
        #expect(q["b"] == nil)
    }
}

@Suite("ListOptions")
struct ListOptionsTests {
    func options(_ query: String) throws -> ListOptions {
        try ListOptions(QueryParameters(query))
    }

    func error(_ query: String) -> APIError? {
        do {
            _ = try options(query)
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: parsing

    @Test("defaults")
    func defaults() throws {
        let o = try options("")
        #expect(o.labelSelector == nil)
        #expect(o.fieldSelector == nil)
        #expect(o.limit == nil)
        #expect(o.continueToken == nil)
        #expect(o.resourceVersion == nil)
        #expect(o.resourceVersionMatch == nil)
        #expect(o.watch == false)
        #expect(o.allowWatchBookmarks == false)
        #expect(o.timeoutSeconds == nil)
        #expect(o.sendInitialEvents == nil)
    }

    @Test("every field parsed")
    func parsed() throws {
        let o = try options("labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1&limit=5&resourceVersion=42"
            + "&resourceVersionMatch=NotOlderThan&timeoutSeconds=30")
        #expect(o.labelSelector == "app=web")
        #expect(o.fieldSelector == "spec.nodeName=n1")
        #expect(o.limit == 5)
        #expect(o.resourceVersion == "42")
        #expect(o.resourceVersionMatch == "NotOlderThan")
        #expect(o.timeoutSeconds == 30)
    }

    @Test("empty values are treated as absent")
    func emptyValues() throws {
        let o = try options("labelSelector=&fieldSelector=&limit=&continue=&resourceVersion=&resourceVersionMatch=&timeoutSeconds=")
        #expect(o.labelSelector == nil)
        #expect(o.fieldSelector == nil)
        #expect(o.limit == nil)
        #expect(o.continueToken == nil)
        #expect(o.resourceVersion == nil)
        #expect(o.resourceVersionMatch == nil)
        #expect(o.timeoutSeconds == nil)
    }

    @Test("limit=0 means no limit")
    func limitZero() throws {
        #expect(try options("limit=0").limit == nil)
    }

    @Test("watch flags")
    func watchFlags() throws {
        let o = try options("watch=1&allowWatchBookmarks=true")
        #expect(o.watch)
        #expect(o.allowWatchBookmarks)
    }

    @Test("watch with sendInitialEvents, NotOlderThan and bookmarks is valid")
    func watchList() throws {
        let o = try options("watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
        #expect(o.sendInitialEvents == true)
        #expect(o.resourceVersionMatch == "NotOlderThan")
        #expect(o.resourceVersion == nil)
    }

    @Test("resourceVersionMatch with a resourceVersion on a list is valid", arguments: ["Exact", "NotOlderThan"])
    func matchWithRV(_ match: String) throws {
        let o = try options("resourceVersion=10&resourceVersionMatch=\(match)")
        #expect(o.resourceVersionMatch == match)
    }

    @Test("continue with resourceVersion=0 is allowed")
    func continueWithRVZero() throws {
        let o = try options("continue=abc&resourceVersion=0")
        #expect(o.continueToken == "abc")
        #expect(o.resourceVersion == "0")
    }

    // MARK: 400s

    @Test("a non-integer limit is 400", arguments: ["x", "1.5"])
    func badLimit(_ raw: String) {
        let e = error("limit=\(raw)")
        #expect(e?.code == 400)
        #expect(e?.reason == "BadRequest")
        #expect(e?.message.contains("limit") == true)
    }

    @Test("a non-integer timeoutSeconds is 400", arguments: ["soon", "1.5"])
    func badTimeout(_ raw: String) {
        let e = error("timeoutSeconds=\(raw)")
        #expect(e?.code == 400)
        #expect(e?.message.contains("timeoutSeconds") == true)
    }

    @Test("a non-numeric resourceVersion is 400")
    func badResourceVersion() {
        let e = error("resourceVersion=abc")
        #expect(e?.code == 400)
        #expect(e?.message == "invalid resource version \"abc\"")
    }

    // MARK: 422s

    func expectInvalid(_ query: String, field: String, messageContains: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let e = error(query)
        #expect(e?.code == 422, "\(query)", sourceLocation: sourceLocation)
        #expect(e?.reason == "Invalid", sourceLocation: sourceLocation)
        #expect(e?.details?.kind == "ListOptions", sourceLocation: sourceLocation)
        #expect(e?.details?.group == "meta.k8s.io", sourceLocation: sourceLocation)
        #expect(e?.details?.causes.first?.field == field, sourceLocation: sourceLocation)
        #expect(e?.message.contains(messageContains) == true, "\(e?.message ?? "no error")", sourceLocation: sourceLocation)
    }

    @Test("an unsupported resourceVersionMatch")
    func unsupportedMatch() {
        expectInvalid("resourceVersion=1&resourceVersionMatch=Newest", field: "resourceVersionMatch",
                      messageContains: "supported values")
    }

    @Test("resourceVersionMatch without resourceVersion on a list")
    func matchWithoutRV() {
        expectInvalid("resourceVersionMatch=NotOlderThan", field: "resourceVersionMatch",
                      messageContains: "resourceVersionMatch is forbidden unless resourceVersion is provided")
    }

    @Test("resourceVersionMatch with continue")
    func matchWithContinue() {
        expectInvalid("resourceVersion=0&resourceVersionMatch=NotOlderThan&continue=tok", field: "resourceVersionMatch",
                      messageContains: "resourceVersionMatch is forbidden when continue is provided")
    }

    @Test("Exact with resourceVersion=0")
    func exactZero() {
        expectInvalid("resourceVersion=0&resourceVersionMatch=Exact", field: "resourceVersionMatch",
                      messageContains: "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")
    }

    @Test("resourceVersionMatch on a watch without sendInitialEvents")
    func matchOnWatch() {
        expectInvalid("watch=true&resourceVersion=5&resourceVersionMatch=NotOlderThan", field: "resourceVersionMatch",
                      messageContains: "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")
    }

    @Test("sendInitialEvents on a list")
    func sendInitialOnList() {
        expectInvalid("sendInitialEvents=true", field: "sendInitialEvents",
                      messageContains: "sendInitialEvents is forbidden for list")
        expectInvalid("sendInitialEvents=false", field: "sendInitialEvents",
                      messageContains: "sendInitialEvents is forbidden for list")
    }

    @Test("sendInitialEvents=true needs resourceVersionMatch=NotOlderThan")
    func sendInitialNeedsMatch() {
        expectInvalid("watch=true&sendInitialEvents=true&allowWatchBookmarks=true", field: "resourceVersionMatch",
                      messageContains: "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
    }

    @Test("sendInitialEvents=true needs allowWatchBookmarks")
    func sendInitialNeedsBookmarks() {
        expectInvalid("watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan", field: "allowWatchBookmarks",
                      messageContains: "sendInitialEvents requires setting allowWatchBookmarks to true")
    }

    @Test("continue with a non-zero resourceVersion")
    func continueWithRV() {
        expectInvalid("continue=tok&resourceVersion=7", field: "resourceVersion",
                      messageContains: "specifying resource version is not allowed when using continue")
    }

    @Test("upstream: sendInitialEvents=false on a watch also needs resourceVersionMatch=NotOlderThan")
    func sendInitialFalseNeedsMatch() {
        // validateWatchOptions: `if options.SendInitialEvents != nil && match != NotOlderThan` → Forbidden.
        let e = error("watch=true&sendInitialEvents=false&resourceVersion=5")
        #expect(e?.code == 422)
    }

    @Test("upstream: a watch only supports resourceVersionMatch=NotOlderThan")
    func watchExactUnsupported() {
        // validateWatchOptions: NotSupported(resourceVersionMatch, match, ["NotOlderThan"]).
        let e = error("watch=true&sendInitialEvents=false&resourceVersion=5&resourceVersionMatch=Exact")
        #expect(e?.code == 422)
    }
}
