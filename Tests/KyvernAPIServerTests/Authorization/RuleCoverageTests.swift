import KyvernAPI
import Logging
import Testing
@testable import KyvernAPIServer

@Suite struct RuleCoverageTests {
    @Test func heldRulesCoverTheirParts() {
        let owner = [PolicyRule(verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods", "services"])]
        #expect(RuleCoverage.uncovered(owner: owner, requested: [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"])]).isEmpty)
        let missing = RuleCoverage.uncovered(owner: owner,
                                             requested: [PolicyRule(verbs: ["get", "delete"], apiGroups: [""], resources: ["pods"])])
        #expect(missing == [PolicyRule(verbs: ["delete"], apiGroups: [""], resources: ["pods"])])
    }

    @Test func aRequestedWildcardNeedsAnOwnedWildcard() {
        let owner = [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"])]
        #expect(!RuleCoverage.uncovered(owner: owner, requested: [PolicyRule(verbs: ["*"], apiGroups: [""], resources: ["pods"])]).isEmpty)
        let admin = [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"])]
        #expect(RuleCoverage.uncovered(owner: admin, requested: [PolicyRule(verbs: ["*"], apiGroups: ["apps"], resources: ["*"])]).isEmpty)
    }

    @Test func namesAndSubresources() {
        let named = [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a"])]
        #expect(RuleCoverage.uncovered(owner: named,
                                       requested: [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a"])]).isEmpty)
        #expect(!RuleCoverage.uncovered(owner: named, requested: [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"])]).isEmpty)
        let scale = [PolicyRule(verbs: ["patch"], apiGroups: ["apps"], resources: ["*/scale"])]
        #expect(RuleCoverage.uncovered(owner: scale,
                                       requested: [PolicyRule(verbs: ["patch"], apiGroups: ["apps"], resources: ["deployments/scale"])]).isEmpty)
    }

    @Test func nonResourceURLs() {
        let owner = [PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"])]
        #expect(RuleCoverage.uncovered(owner: owner, requested: [PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/apps"])]).isEmpty)
        #expect(!RuleCoverage.uncovered(owner: owner, requested: [PolicyRule(verbs: ["get"], nonResourceURLs: ["/metrics"])]).isEmpty)
    }

    @Test func upstreamsCompactForm() {
        #expect(RuleCoverage.describe(PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["nodes"]))
                == #"{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}"#)
        #expect(RuleCoverage.describe(PolicyRule(verbs: ["get"], nonResourceURLs: ["/metrics"]))
                == #"{NonResourceURLs:["/metrics"], Verbs:["get"]}"#)
    }
}

@Suite struct ForbiddenErrorTests {
    let alice = UserInfo(name: "alice", groups: [])

    @Test func resourceDenialsAsUpstreamWordsThem() {
        let list = ForbiddenError.make(AuthorizationAttributes(user: alice, verb: "list", namespace: "default", resource: "pods"))
        #expect(list.code == 403 && list.reason == "Forbidden")
        #expect(list.message == #"pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default""#)
        let get = ForbiddenError.make(AuthorizationAttributes(user: alice, verb: "get", apiGroup: "apps", resource: "deployments",
                                                              subresource: "scale", name: "web"))
        #expect(get.message == #"deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments/scale" in API group "apps" at the cluster scope"#)
        #expect(get.details?.name == "web" && get.details?.group == "apps" && get.details?.kind == "deployments")
    }

    @Test func pathDenials() {
        let denial = ForbiddenError.make(AuthorizationAttributes(user: .anonymous, verb: "get", path: "/api"))
        #expect(denial.message == #"forbidden: User "system:anonymous" cannot get path "/api""#)
    }
}

@Suite struct ImpersonationTests {
    @Test func headersAreRead() {
        let request = Impersonation.request(headers: [("Impersonate-User", "bob"), ("Impersonate-Group", "g1"),
                                                      ("Impersonate-Group", "g2"), ("Impersonate-Extra-Scopes%2Fa", "x")])
        #expect(request.user == "bob" && request.groups == ["g1", "g2"] && request.extra == ["scopes/a": ["x"]])
    }

    @Test func aGroupWithoutAUserIsABadRequest() async throws {
        let authorizer = Authorizer(mode: .alwaysAllow, rbac: RBACAuthorizer(cache: WatchCache(logger: .init(label: "t"))))
        await #expect(throws: APIError.self) {
            _ = try await Impersonation.resolve(.init(groups: ["system:masters"]), requester: .clusterAdmin, authorizer: authorizer)
        }
    }

    @Test func aServiceAccountGetsItsGroups() async throws {
        let authorizer = Authorizer(mode: .alwaysAllow, rbac: RBACAuthorizer(cache: WatchCache(logger: .init(label: "t"))))
        let user = try await Impersonation.resolve(.init(user: "system:serviceaccount:team:builder"), requester: .clusterAdmin,
                                                   authorizer: authorizer)
        #expect(user.groups == ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"])
    }

    @Test func withoutTheVerbItIsForbidden() async throws {
        let cache = WatchCache(logger: .init(label: "t"))
        await cache.load([], revision: 0)
        let authorizer = Authorizer(mode: .rbac, rbac: RBACAuthorizer(cache: cache))
        do {
            _ = try await Impersonation.resolve(.init(user: "bob"), requester: UserInfo(name: "alice", groups: []),
                                                authorizer: authorizer)
            Issue.record("impersonation was allowed")
        } catch let error as APIError {
            #expect(error.message == #"users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#)
        }
    }
}
