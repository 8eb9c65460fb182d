import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct PolicyRuleTests {
    let alice = UserInfo(name: "alice", groups: ["system:authenticated"])

    func request(_ verb: String, _ resource: String, sub: String = "", group: String = "", name: String = "",
                 namespace: String = "team") -> AuthorizationAttributes {
        AuthorizationAttributes(user: alice, verb: verb, namespace: namespace, apiGroup: group, resource: resource,
                                subresource: sub, name: name)
    }

    @Test func verbsGroupsAndResourcesMatchExactlyOrByWildcard() {
        let rule = PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods"])
        #expect(rule.allows(request("get", "pods")))
        #expect(!rule.allows(request("delete", "pods")))
        #expect(!rule.allows(request("get", "pods", group: "apps")))
        #expect(!rule.allows(request("get", "services")))
        let everything = PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"])
        #expect(everything.allows(request("deletecollection", "deployments", group: "apps")))
        #expect(everything.allows(request("get", "pods", sub: "log")))
    }

    @Test func aSubresourceNeedsItsOwnRuleOrAStarSlashRule() {
        let pods = PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"])
        #expect(!pods.allows(request("get", "pods", sub: "log")))
        let logs = PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"])
        #expect(logs.allows(request("get", "pods", sub: "log")))
        #expect(!logs.allows(request("get", "pods")))
        let anyScale = PolicyRule(verbs: ["patch"], apiGroups: ["apps"], resources: ["*/scale"])
        #expect(anyScale.allows(request("patch", "deployments", sub: "scale", group: "apps")))
        #expect(!anyScale.allows(request("patch", "deployments", sub: "status", group: "apps")))
        #expect(!anyScale.allows(request("patch", "deployments", group: "apps")))
    }

    @Test func resourceNamesLimitToThoseNames() {
        let rule = PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["app"])
        #expect(rule.allows(request("get", "configmaps", name: "app")))
        #expect(!rule.allows(request("get", "configmaps", name: "other")))
        // A list has no name, so a named rule does not allow it.
        #expect(!rule.allows(request("list", "configmaps")))
    }

    @Test func nonResourceURLsMatchExactlyOrByTrailingStar() {
        let rule = PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/apis/*"])
        #expect(rule.allows(AuthorizationAttributes(user: alice, verb: "get", path: "/healthz")))
        #expect(rule.allows(AuthorizationAttributes(user: alice, verb: "get", path: "/apis/apps/v1")))
        #expect(!rule.allows(AuthorizationAttributes(user: alice, verb: "get", path: "/healthz/etcd")))
        #expect(!rule.allows(AuthorizationAttributes(user: alice, verb: "post", path: "/healthz")))
        // A resource rule never allows a path, nor a path rule a resource.
        #expect(!rule.allows(request("get", "pods")))
        #expect(!PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"])
            .allows(AuthorizationAttributes(user: alice, verb: "get", path: "/metrics")))
    }

    @Test func rulesRoundTripThroughJSON() {
        let rule = PolicyRule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["web"])
        #expect(PolicyRule(json: rule.json) == rule)
        #expect(rule.json["nonResourceURLs"] == nil)
    }
}

@Suite struct AuthorizationAttributesTests {
    let user = UserInfo(name: "u", groups: [])

    func attributes(_ method: String, _ path: String, query: String? = nil) -> AuthorizationAttributes {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return AuthorizationAttributes.of(method: method, path: path, target: RequestTarget.parse(segments),
                                          query: QueryParameters(query), user: user)
    }

    @Test func verbsFollowMethodAndShape() {
        #expect(attributes("GET", "/api/v1/namespaces/a/pods").verb == "list")
        #expect(attributes("GET", "/api/v1/namespaces/a/pods/web").verb == "get")
        #expect(attributes("GET", "/api/v1/namespaces/a/pods", query: "watch=true").verb == "watch")
        #expect(attributes("POST", "/api/v1/namespaces/a/pods").verb == "create")
        #expect(attributes("PUT", "/api/v1/namespaces/a/pods/web").verb == "update")
        #expect(attributes("PATCH", "/api/v1/namespaces/a/pods/web").verb == "patch")
        #expect(attributes("DELETE", "/api/v1/namespaces/a/pods/web").verb == "delete")
        #expect(attributes("DELETE", "/api/v1/namespaces/a/pods").verb == "deletecollection")
    }

    @Test func resourceParts() {
        let logs = attributes("GET", "/api/v1/namespaces/a/pods/web/log")
        #expect(logs.isResourceRequest && logs.namespace == "a" && logs.resource == "pods" && logs.subresource == "log")
        #expect(logs.name == "web" && logs.combinedResource == "pods/log")
        let deployments = attributes("GET", "/apis/apps/v1/deployments")
        #expect(deployments.apiGroup == "apps" && deployments.namespace.isEmpty)
    }

    @Test func aNamespaceIsItsOwnScope() {
        let namespace = attributes("GET", "/api/v1/namespaces/team")
        #expect(namespace.resource == "namespaces" && namespace.name == "team" && namespace.namespace == "team")
    }

    @Test func aWatchOfOneNameCarriesTheName() {
        let watch = attributes("GET", "/api/v1/namespaces/a/pods", query: "watch=true&fieldSelector=metadata.name%3Dweb")
        #expect(watch.verb == "watch" && watch.name == "web")
    }

    @Test func otherPathsAreNonResourceRequests() {
        let api = attributes("GET", "/api")
        #expect(!api.isResourceRequest && api.path == "/api" && api.verb == "get")
        #expect(attributes("POST", "/metrics").verb == "post")
    }
}
