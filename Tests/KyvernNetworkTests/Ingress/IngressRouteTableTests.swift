import Testing

@testable import KyvernNetwork

@Suite("Ingress route table: hosts, path types and precedence")
struct IngressRouteTableTests {
    static func backend(_ name: String) -> IngressBackend {
        IngressBackend(namespace: "shop", service: name, port: .number(80))
    }

    static func table(_ entries: [(String?, IngressPathRule.Kind, String, String)], fallback: String? = nil) -> IngressRouteTable {
        var table = IngressRouteTable()
        for (host, kind, path, service) in entries {
            table.add(host: host, rule: IngressPathRule(kind: kind, path: path, backend: backend(service)))
        }
        table.defaultBackend = fallback.map(backend)
        return table
    }

    @Test func prefixMatchesWholePathElements() {
        let rule = IngressPathRule(kind: .prefix, path: "/foo", backend: Self.backend("a"))
        #expect(rule.matches("/foo"))
        #expect(rule.matches("/foo/"))
        #expect(rule.matches("/foo/bar"))
        #expect(!rule.matches("/foobar"))
        #expect(!rule.matches("/"))
        // a trailing slash in the rule is ignored (upstream's table: /aaa/bbb/ matches /aaa/bbb)
        let slashed = IngressPathRule(kind: .prefix, path: "/aaa/bbb/", backend: Self.backend("a"))
        #expect(slashed.matches("/aaa/bbb"))
        #expect(slashed.matches("/aaa/bbb/ccc"))
        #expect(!slashed.matches("/aaa/bbbxyz"))
        #expect(IngressPathRule(kind: .prefix, path: "/", backend: Self.backend("a")).matches("/anything"))
    }

    @Test func exactMatchesOnlyTheSamePath() {
        let rule = IngressPathRule(kind: .exact, path: "/foo", backend: Self.backend("a"))
        #expect(rule.matches("/foo"))
        #expect(!rule.matches("/foo/"))
        #expect(!rule.matches("/foo/bar"))
    }

    @Test func implementationSpecificIsPrefixAndUnknownTypesAreDropped() {
        let rule = IngressPathRule(pathType: "ImplementationSpecific", path: "/x", backend: Self.backend("a"))
        #expect(rule?.kind == .prefix)
        #expect(IngressPathRule(pathType: "Regex", path: "/x", backend: Self.backend("a")) == nil)
    }

    @Test func longestPathWinsThenExactOverPrefix() {
        let table = Self.table([
            ("foo.com", .prefix, "/", "root"),
            ("foo.com", .prefix, "/a", "a"),
            ("foo.com", .prefix, "/a/b", "ab"),
            ("foo.com", .exact, "/a", "exact-a"),
        ])
        #expect(table.match(host: "foo.com", target: "/a")?.service == "exact-a")
        #expect(table.match(host: "foo.com", target: "/a/")?.service == "a")
        #expect(table.match(host: "foo.com", target: "/a/b/c?q=1")?.service == "ab")
        #expect(table.match(host: "foo.com", target: "/zzz")?.service == "root")
    }

    @Test func exactHostBeatsWildcardWhichMatchesOneLabel() {
        let table = Self.table([
            ("*.foo.com", .prefix, "/", "wild"),
            ("bar.foo.com", .prefix, "/", "bar"),
            (nil, .prefix, "/", "any"),
        ])
        #expect(table.match(host: "bar.foo.com", target: "/")?.service == "bar")
        #expect(table.match(host: "BAZ.foo.com:8080", target: "/")?.service == "wild")
        #expect(table.match(host: "foo.com", target: "/")?.service == "any")
        #expect(table.match(host: "a.b.foo.com", target: "/")?.service == "any")
    }

    @Test func aMatchedHostWithoutMatchingPathGoesToTheDefaultBackend() {
        let table = Self.table([("foo.com", .exact, "/only", "only"), (nil, .prefix, "/", "any")], fallback: "fallback")
        #expect(table.match(host: "foo.com", target: "/other")?.service == "fallback")
        #expect(table.match(host: "other.com", target: "/x")?.service == "any")
        let none = Self.table([("foo.com", .exact, "/only", "only")])
        #expect(none.match(host: "foo.com", target: "/other") == nil)
        #expect(none.match(host: "x.com", target: "/only") == nil)
    }

    @Test func firstRuleAddedKeepsAConflictingPath() {
        let table = Self.table([("foo.com", .prefix, "/", "older"), ("foo.com", .prefix, "/", "newer")])
        #expect(table.match(host: "foo.com", target: "/")?.service == "older")
        #expect(table.backends == [Self.backend("older")])
    }

    @Test func requestTargetsAreReducedToPaths() {
        #expect(IngressRouteTable.path("/a/b?c=d#e") == "/a/b")
        #expect(IngressRouteTable.path("http://foo.com/x?y") == "/x")
        #expect(IngressRouteTable.path("http://foo.com") == "/")
        #expect(IngressRouteTable.hostName("Foo.COM:443") == "foo.com")
        #expect(IngressRouteTable.hostName("[::1]:80") == "::1")
    }
}
