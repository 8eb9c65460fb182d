import KyvernAPI
import Testing

@Suite struct LabelSelectorTests {
    let labels: [String: String] = ["app": "web", "tier": "frontend", "env": "", "version": "3"]

    func parseError(_ text: String) -> APIError? {
        do {
            _ = try LabelSelector.parse(text)
            return nil
        } catch {
            return error
        }
    }

    func selectorError(_ json: JSONValue) -> APIError? {
        do {
            _ = try LabelSelector(labelSelector: json)
            return nil
        } catch {
            return error
        }
    }

    // MARK: operators

    @Test(arguments: [
        ("", true),
        ("app=web", true), ("app=api", false), ("missing=x", false),
        ("app==web", true), ("app==api", false),
        ("app!=api", true), ("app!=web", false), ("missing!=x", true),
        ("app in (web,api)", true), ("app in (api,db)", false), ("missing in (x)", false),
        ("app notin (api,db)", true), ("app notin (web)", false), ("missing notin (x)", true),
        ("app", true), ("missing", false),
        ("!missing", true), ("!app", false),
        ("version>2", true), ("version>3", false), ("version<4", true), ("version<3", false),
        ("app>1", false), ("missing<10", false),
        ("env=", true), ("env in ()", true), ("env in (,x)", true), ("env in (x,)", true), ("env!=", false),
        ("app=web,tier=frontend", true), ("app=web,tier=backend", false),
        ("app=web,!missing,tier in (frontend),version", true),
    ])
    func matches(selector: String, expected: Bool) throws {
        let parsed = try LabelSelector.parse(selector)
        #expect(parsed.matches(labels) == expected)
        let object: JSONValue = ["metadata": ["labels": .object(labels.mapValues(JSONValue.string))]]
        #expect(parsed.matches(labelsOf: object) == expected)
    }

    @Test func matchesObjectsWithoutOrWithOddLabels() throws {
        let absent = try LabelSelector.parse("!app,x notin (y)")
        #expect(absent.matches(labelsOf: ["metadata": ["name": "n"]]))
        #expect(absent.matches(labelsOf: .null))
        #expect(try !LabelSelector.parse("app").matches(labelsOf: ["kind": "Pod"]))
        #expect(try !LabelSelector.parse("app").matches(labelsOf: ["metadata": ["labels": ["app": 1]]]))
        #expect(LabelSelector.everything.matches(labelsOf: .null))
        #expect(!LabelSelector.nothing.matches(labelsOf: ["metadata": [:]]))
    }

    @Test func parsedStructure() throws {
        let s = try LabelSelector.parse("x in (foo,,baz),y,z notin ()")
        #expect(s.requirements == [
            .init(key: "x", op: .in, values: ["", "baz", "foo"]),
            .init(key: "y", op: .exists),
            .init(key: "z", op: .notIn, values: [""]),
        ])
        #expect(try LabelSelector.parse("a==b").requirements == [.init(key: "a", op: .doubleEquals, values: ["b"])])
        #expect(try LabelSelector.parse("!a").requirements == [.init(key: "a", op: .doesNotExist)])
        #expect(try LabelSelector.parse("a>5").requirements == [.init(key: "a", op: .greaterThan, values: ["5"])])
        #expect(try LabelSelector.parse("a in (b,b,a)").requirements == [.init(key: "a", op: .in, values: ["a", "b"])])
    }

    @Test func whitespaceTolerant() throws {
        let s = try LabelSelector.parse("  app  =  web ,\ttier in ( frontend , backend )\n, ! gone ")
        #expect(s.requirements == [
            .init(key: "app", op: .equals, values: ["web"]),
            .init(key: "gone", op: .doesNotExist),
            .init(key: "tier", op: .in, values: ["backend", "frontend"]),
        ])
        #expect(s.matches(labels))
    }

    @Test func keywordsAreIdentifiersWhereKeysAndValuesGo() throws {
        let s = try LabelSelector.parse("in in (in,notin),notin=in")
        #expect(s.requirements == [
            .init(key: "in", op: .in, values: ["in", "notin"]),
            .init(key: "notin", op: .equals, values: ["in"]),
        ])
        #expect(s.matches(["in": "notin", "notin": "in"]))
    }

    @Test func prefixedKeys() throws {
        let s = try LabelSelector.parse("app.kubernetes.io/name=web,!kubernetes.io/bad")
        #expect(s.matches(["app.kubernetes.io/name": "web"]))
        #expect(!s.matches(["app.kubernetes.io/name": "web", "kubernetes.io/bad": ""]))
    }

    @Test func descriptionIsUpstreamsCanonicalForm() throws {
        #expect(try LabelSelector.parse("b=2, a in (y,x), !c, d, e notin (z), f==1, g!=2, h>1, i<9").description
            == "a in (x,y),b=2,!c,d,e notin (z),f==1,g!=2,h>1,i<9")
        #expect(LabelSelector.everything.description == "")
        let s = try LabelSelector.parse("a in (x,y),b!=c")
        #expect(try LabelSelector.parse(s.description) == s)
    }

    @Test func emptyEverythingAndNothing() throws {
        #expect(try LabelSelector.parse("").isEmpty)
        #expect(try LabelSelector.parse("   ").isEmpty)
        #expect(LabelSelector.everything.matches([:]))
        #expect(!LabelSelector.nothing.matches([:]))
        #expect(!LabelSelector.nothing.matches(labels))
        #expect(!LabelSelector.nothing.isEmpty)
    }

    @Test func requiresExactMatch() throws {
        let s = try LabelSelector.parse("a=1,b in (2),c in (3,4),d!=5,e==6")
        #expect(s.requiresExactMatch("a") == "1")
        #expect(s.requiresExactMatch("b") == "2")
        #expect(s.requiresExactMatch("c") == nil)
        #expect(s.requiresExactMatch("d") == nil)
        #expect(s.requiresExactMatch("e") == "6")
        #expect(s.requiresExactMatch("zz") == nil)
    }

    @Test func fromMatchLabelsSet() {
        let s = LabelSelector(matchLabels: ["app": "web", "tier": "frontend"])
        #expect(s.matches(labels))
        #expect(!s.matches(["app": "web"]))
        #expect(s.description == "app=web,tier=frontend")
        #expect(LabelSelector(matchLabels: [:]).matches([:]))
    }

    // MARK: errors

    static let keyRegexMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let valueRegexMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    @Test(arguments: [
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("a=b,,c", "found ',', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a=b)", "found ')', expected: ',' or 'end of string'"),
        ("a in x", "unable to parse requirement: found 'x' expected: '('"),
        ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
        ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("a in (x,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("!=a", "found '!=', expected: !, identifier, or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer"),
    ])
    func syntaxErrors(selector: String, message: String) {
        let error = parseError(selector)
        #expect(error?.message == message)
        #expect(error?.code == 400)
        #expect(error?.reason == "BadRequest")
    }

    @Test func invalidKeysAndValuesUseUpstreamsValidationText() {
        #expect(parseError("_a=b")?.message
            == "unable to parse requirement: <nil>: Invalid value: \"_a\": name part " + Self.keyRegexMessage)
        #expect(parseError("a/b/c")?.message
            == "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name " + Self.keyRegexMessage
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")
        #expect(parseError("Bad.Prefix/a")?.message
            == "unable to parse requirement: <nil>: Invalid value: \"Bad.Prefix/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
        #expect(parseError("a=-x")?.message
            == "unable to parse requirement: values[0][a]: Invalid value: \"-x\": " + Self.valueRegexMessage)
        let long = String(repeating: "v", count: 64)
        #expect(parseError("a=\(long)")?.message
            == "unable to parse requirement: values[0][a]: Invalid value: \"\(long)\": must be no more than 63 characters")
        #expect(parseError("a in (ok,-bad,_worse)")?.message
            == "unable to parse requirement: [values[0][a]: Invalid value: \"-bad\": \(Self.valueRegexMessage), values[1][a]: Invalid value: \"_worse\": \(Self.valueRegexMessage)]")
    }

    // MARK: metav1.LabelSelector

    @Test func fromLabelSelectorJSON() throws {
        let json: JSONValue = [
            "matchLabels": ["app": "web"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["frontend", "edge"]],
                ["key": "env", "operator": "NotIn", "values": ["prod"]],
                ["key": "version", "operator": "Exists"],
                ["key": "legacy", "operator": "DoesNotExist", "values": []],
            ],
        ]
        let s = try LabelSelector(labelSelector: json)
        #expect(s.requirements.map(\.key) == ["app", "env", "legacy", "tier", "version"])
        #expect(s.matches(labels))
        #expect(!s.matches(labels.merging(["legacy": "yes"]) { a, _ in a }))
        #expect(!s.matches(labels.merging(["env": "prod"]) { _, b in b }))
        #expect(s.description == "app=web,env notin (prod),!legacy,tier in (edge,frontend),version")
    }

    @Test func nullSelectsNothingAndEmptySelectsEverything() throws {
        #expect(try LabelSelector(labelSelector: nil) == .nothing)
        #expect(try LabelSelector(labelSelector: .null) == .nothing)
        #expect(try LabelSelector(labelSelector: [:]).isEmpty)
        #expect(try LabelSelector(labelSelector: ["matchLabels": [:], "matchExpressions": []]).matches([:]))
    }

    @Test func labelSelectorJSONErrors() {
        #expect(selectorError(["matchExpressions": [["key": "a", "operator": "Equals", "values": ["x"]]]])?.message
            == "\"Equals\" is not a valid label selector operator")
        #expect(selectorError(["matchExpressions": [["key": "a", "operator": "In", "values": []]]])?.message
            == "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty")
        #expect(selectorError(["matchExpressions": [["key": "a", "operator": "Exists", "values": ["x"]]]])?.message
            == "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist")
        #expect(selectorError(["matchLabels": ["a": "-x"]])?.message
            == "values[0][a]: Invalid value: \"-x\": " + Self.valueRegexMessage)
        #expect(selectorError(["matchLabels": ["_a": "x"]])?.message
            == "key: Invalid value: \"_a\": name part " + Self.keyRegexMessage)
        #expect(selectorError(["matchLabels": ["a": 1]]) != nil)
        #expect(selectorError("a=b") != nil)
    }

    @Test func validatedRequirementChecksCounts() {
        #expect(throws: APIError.self) { try LabelSelector.Requirement.validated(key: "a", op: .equals, values: []) }
        #expect(throws: APIError.self) { try LabelSelector.Requirement.validated(key: "a", op: .greaterThan, values: ["1", "2"]) }
        #expect(throws: APIError.self) { try LabelSelector.Requirement.validated(key: "", op: .exists, values: []) }
        #expect((try? LabelSelector.Requirement.validated(key: "a", op: .lessThan, values: ["3"])) != nil)
        // Values are label values first, so a negative bound is refused, as upstream does.
        #expect(throws: APIError.self) { try LabelSelector.Requirement.validated(key: "a", op: .lessThan, values: ["-3"]) }
    }
}
