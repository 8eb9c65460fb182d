import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("Audit policy")
struct AuditPolicyTests {
    static let alice = UserInfo(name: "alice", groups: ["dev", "system:authenticated"])
    static let bob = UserInfo(name: "bob", groups: ["ops", "system:authenticated"])

    static func request(_ verb: String, _ resource: String, subresource: String = "", namespace: String = "default",
                        group: String = "", name: String = "", user: UserInfo = alice) -> AuthorizationAttributes {
        AuthorizationAttributes(user: user, verb: verb, namespace: namespace, apiGroup: group, apiVersion: "v1",
                                resource: resource, subresource: subresource, name: name)
    }

    static let yaml = """
    apiVersion: audit.k8s.io/v1
    kind: Policy
    omitStages: [RequestReceived]
    omitManagedFields: true
    rules:
      - level: None
        users: [bob]
      - level: RequestResponse
        resources:
          - group: ""
            resources: [configmaps]
            resourceNames: [special]
      - level: Metadata
        resources:
          - group: ""
            resources: ["pods/log", "*/status"]
        omitStages: [ResponseStarted]
      - level: Request
        verbs: [create, update]
        namespaces: [default]
      - level: Metadata
        nonResourceURLs: ["/healthz*", "/version"]
      - level: Metadata
        userGroups: [dev]
        resources:
          - group: apps
    """

    @Test func parsesEveryField() throws {
        let policy = try AuditPolicy.parse(Self.yaml)
        #expect(policy.rules.count == 6)
        #expect(policy.omitStages == [.requestReceived])
        #expect(policy.omitManagedFields)
        #expect(policy.rules[0].users == ["bob"])
        #expect(policy.rules[1].resources == [AuditGroupResources(group: "", resources: ["configmaps"], resourceNames: ["special"])])
        #expect(policy.rules[2].omitStages == [.responseStarted])
        #expect(policy.rules[3].verbs == ["create", "update"] && policy.rules[3].namespaces == ["default"])
        #expect(policy.rules[4].nonResourceURLs == ["/healthz*", "/version"])
        #expect(policy.rules[5].userGroups == ["dev"] && policy.rules[5].resources[0].group == "apps")
    }

    @Test func parsesJSON() throws {
        let policy = try AuditPolicy.parse(#"{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Metadata"}]}"#)
        #expect(policy.rules == [AuditPolicyRule(level: .metadata)])
    }

    @Test func firstMatchingRuleWins() throws {
        let policy = try AuditPolicy.parse(Self.yaml)
        // bob's None comes first, even for what a later rule would log.
        #expect(policy.evaluate(Self.request("create", "configmaps", user: Self.bob), user: Self.bob).level == .none)
        #expect(policy.evaluate(Self.request("create", "configmaps", name: "special"), user: Self.alice).level == .requestResponse)
        #expect(policy.evaluate(Self.request("create", "configmaps", name: "other"), user: Self.alice).level == .request)
        #expect(policy.evaluate(Self.request("get", "pods", subresource: "log"), user: Self.alice).level == .metadata)
        // pods/status is logged at Metadata by `*/status` before the Request rule for updates is reached.
        #expect(policy.evaluate(Self.request("update", "pods", subresource: "status"), user: Self.alice).level == .metadata)
        #expect(policy.evaluate(Self.request("update", "deployments", subresource: "status", group: "apps"), user: Self.alice).level == .request)
        #expect(policy.evaluate(Self.request("get", "deployments", group: "apps"), user: Self.alice).level == .metadata)
        // Nothing matches: not logged.
        #expect(policy.evaluate(Self.request("get", "pods"), user: Self.alice).level == .none)
        #expect(policy.evaluate(Self.request("create", "pods", namespace: "other"), user: Self.alice).level == .none)
    }

    @Test func nonResourceURLsMatchPathsOnly() throws {
        let policy = try AuditPolicy.parse(Self.yaml)
        let healthz = AuthorizationAttributes(user: Self.alice, verb: "get", path: "/healthz/etcd")
        let version = AuthorizationAttributes(user: Self.alice, verb: "get", path: "/version/x")
        #expect(policy.evaluate(healthz, user: Self.alice).level == .metadata)
        #expect(policy.evaluate(version, user: Self.alice).level == .none)
    }

    @Test func unauthenticatedRequestsMatchNoUserRule() throws {
        let policy = try AuditPolicy.parse("""
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
          - level: None
            userGroups: [system:unauthenticated]
          - level: Metadata
        """)
        #expect(policy.evaluate(Self.request("get", "pods"), user: nil).level == .metadata)
        #expect(policy.evaluate(Self.request("get", "pods"), user: .anonymous).level == .none)
    }

    @Test func omitStagesJoinPolicyAndRule() throws {
        let policy = try AuditPolicy.parse(Self.yaml)
        let (level, omitted) = policy.evaluate(Self.request("get", "pods", subresource: "log"), user: Self.alice)
        #expect(level == .metadata && omitted == [.requestReceived, .responseStarted])
        #expect(policy.evaluate(Self.request("create", "secrets"), user: Self.alice).omitStages == [.requestReceived])
    }

    @Test(arguments: [
        ("rules:\n  - level: Verbose", "rules[0].level: Unsupported value: \"Verbose\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\""),
        ("rules:\n  - users: [a]", "rules[0].level: Required value"),
        ("rules: []", "rules: Required value: loaded illegal policy with 0 rules"),
        ("rules:\n  - level: None\n    omitStages: [Done]", "rules[0].omitStages[0]: Unsupported value: \"Done\""),
        ("omitStages: [Later]\nrules:\n  - level: None", "omitStages[0]: Unsupported value: \"Later\""),
        ("rules:\n  - level: None\n    nonResourceURLs: [healthz]", "rules[0].nonResourceURLs[0]: Invalid value: \"healthz\": non-resource URL rules must begin with a '/' character"),
        ("rules:\n  - level: None\n    nonResourceURLs: [\"/a*b\"]", "rules[0].nonResourceURLs[0]: Invalid value: \"/a*b\": non-resource URL wildcards '*' must be the final character of the rule"),
        ("rules:\n  - level: None\n    nonResourceURLs: [/healthz]\n    namespaces: [a]", "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: rules cannot apply to both regular resources and non-resource URLs"),
        ("rules:\n  - level: None\n    resources:\n      - resourceNames: [x]", "rules[0].resources[0].resourceNames: Invalid value: []string{\"x\"}: using resourceNames requires at least one resource"),
        ("rules:\n  - level: None\n    verbs: get", "rules[0].verbs: Invalid value: expected a list"),
    ])
    func invalidPoliciesNameTheField(body: String, message: String) {
        #expect {
            try AuditPolicy.parse("apiVersion: audit.k8s.io/v1\nkind: Policy\n" + body)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func wrongKindOrVersionIsRefused() {
        #expect(throws: AuditPolicyError.self) { try AuditPolicy.parse("apiVersion: audit.k8s.io/v1beta2\nkind: Policy\nrules: [{level: None}]") }
        #expect(throws: AuditPolicyError.self) { try AuditPolicy.parse("apiVersion: audit.k8s.io/v1\nkind: Other\nrules: [{level: None}]") }
    }
}
