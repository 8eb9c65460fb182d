import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct WebhookRuleTests {
    static let pods = ResourceCatalog.find(group: "", version: "v1", resource: "pods")!
    static let namespaces = ResourceCatalog.find(group: "", version: "v1", resource: "namespaces")!

    static func attributes(_ operation: AdmissionAttributes.Operation = .create, info: ResourceInfo = pods,
                           subresource: String? = nil, namespace: String? = "default") -> AdmissionAttributes {
        AdmissionAttributes(operation: operation, info: info, subresource: subresource, namespace: namespace, name: "p",
                            object: ["metadata": ["name": "p"]], oldObject: nil, user: .clusterAdmin, dryRun: false)
    }

    @Test func aBareResourceMatchesOnlyTheResourceItself() {
        let rule = WebhookRule(operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"])
        #expect(rule.matches(Self.attributes()))
        #expect(!rule.matches(Self.attributes(subresource: "status")))
        #expect(!rule.matches(Self.attributes(.update)))
    }

    @Test func wildcardsFollowUpstreamsResourceSubresourceSplit() {
        func rule(_ resources: [String]) -> WebhookRule {
            WebhookRule(operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: resources)
        }
        #expect(rule(["*"]).matches(Self.attributes()))
        #expect(!rule(["*"]).matches(Self.attributes(subresource: "status")))
        #expect(rule(["*/*"]).matches(Self.attributes(subresource: "status")))
        #expect(rule(["pods/*"]).matches(Self.attributes(subresource: "exec")))
        #expect(rule(["pods/*"]).matches(Self.attributes()))
        #expect(rule(["*/status"]).matches(Self.attributes(subresource: "status")))
        #expect(!rule(["*/status"]).matches(Self.attributes()))
        #expect(rule(["pods/status"]).matches(Self.attributes(.update, subresource: "status")))
        #expect(!rule(["deployments"]).matches(Self.attributes()))
    }

    @Test func scopeTreatsNamespacesAsClusterScoped() {
        let namespaced = WebhookRule(operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], scope: "Namespaced")
        let cluster = WebhookRule(operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], scope: "Cluster")
        let namespace = Self.attributes(info: Self.namespaces, namespace: "team-a")
        #expect(namespaced.matches(Self.attributes()))
        #expect(!cluster.matches(Self.attributes()))
        #expect(!namespaced.matches(namespace))
        #expect(cluster.matches(namespace))
    }

    @Test func groupsAndVersionsMustBothMatch() {
        let rule = WebhookRule(operations: ["CREATE"], apiGroups: ["apps"], apiVersions: ["v1"], resources: ["*"])
        #expect(!rule.matches(Self.attributes()))
        #expect(rule.matchesKind(group: "apps", version: "v1", resource: "deployments", subresource: ""))
        #expect(!rule.matchesKind(group: "apps", version: "v1beta1", resource: "deployments", subresource: ""))
    }

    @Test func admissionConfigurationObjectsAreExempt() {
        let info = ResourceCatalog.find(group: "admissionregistration.k8s.io", version: "v1",
                                        resource: "validatingwebhookconfigurations")!
        #expect(Self.attributes(info: info, namespace: nil).isAdmissionConfiguration)
        #expect(!Self.attributes().isAdmissionConfiguration)
    }
}
