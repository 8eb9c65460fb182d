import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("DiscoveryDocuments")
struct DiscoveryDocumentsTests {
    let docs = DiscoveryDocuments(catalog: ResourceCatalog.all, groupVersions: ResourceCatalog.groupVersions,
                                  serverAddress: "127.0.0.1:6443")

    func parse(_ bytes: [UInt8]?) throws -> JSONValue {
        try JSONValue.parse(try #require(bytes))
    }

    func resources(_ groupVersion: String) throws -> [JSONValue] {
        try #require(try parse(docs.resourceLists[groupVersion])["resources"]?.arrayValue)
    }

    func entry(_ groupVersion: String, _ name: String) throws -> JSONValue {
        try #require(try resources(groupVersion).first { $0["name"]?.stringValue == name }, "\(groupVersion) \(name)")
    }

    // MARK: /api and /apis

    @Test("/api lists v1 and the server address")
    func api() throws {
        let api = try parse(docs.api)
        #expect(api["kind"] == "APIVersions")
        #expect(api["versions"] == ["v1"])
        #expect(api["serverAddressByClientCIDRs"] == [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"]])
    }

    @Test("/apis lists every group once, in catalog order, without the core group")
    func apis() throws {
        let apis = try parse(docs.apis)
        #expect(apis["kind"] == "APIGroupList")
        #expect(apis["apiVersion"] == "v1")
        let groups = try #require(apis["groups"]?.arrayValue)
        let names = groups.compactMap { $0["name"]?.stringValue }
        var expected: [String] = []
        for gv in ResourceCatalog.groupVersions where !gv.group.isEmpty && !expected.contains(gv.group) {
            expected.append(gv.group)
        }
        #expect(names == expected)
        #expect(!names.contains(""))
        #expect(names.contains("apps"))
        #expect(names.contains("batch"))
        #expect(names.contains("autoscaling"))
        #expect(Set(names).count == names.count)
    }

    @Test("/apis entries carry versions and preferredVersion")
    func apisPreferred() throws {
        let groups = try #require(try parse(docs.apis)["groups"]?.arrayValue)
        let apps = try #require(groups.first { $0["name"] == "apps" })
        #expect(apps["versions"] == [["groupVersion": "apps/v1", "version": "v1"]])
        #expect(apps["preferredVersion"] == ["groupVersion": "apps/v1", "version": "v1"])
        let autoscaling = try #require(groups.first { $0["name"] == "autoscaling" })
        #expect(autoscaling["preferredVersion"] == ["groupVersion": "autoscaling/v2", "version": "v2"])
        for group in groups {
            let versions = group["versions"]?.arrayValue ?? []
            #expect(!versions.isEmpty)
            #expect(versions.contains(group["preferredVersion"] ?? .null), "\(group["name"] ?? .null)")
        }
    }

    @Test("/apis/<group> is the APIGroup document")
    func groupDocument() throws {
        let apps = try parse(docs.groups["apps"])
        #expect(apps["kind"] == "APIGroup")
        #expect(apps["apiVersion"] == "v1")
        #expect(apps["name"] == "apps")
        #expect(apps["preferredVersion"] == ["groupVersion": "apps/v1", "version": "v1"])
        #expect(docs.groups[""] == nil)
        #expect(docs.groups["nope"] == nil)
    }

    @Test("a preferred version other than the first is chosen")
    func preferredNotFirst() throws {
        let docs = DiscoveryDocuments(
            catalog: [], groupVersions: [GroupVersionInfo(group: "x.io", version: "v1beta1", preferred: false),
                                         GroupVersionInfo(group: "x.io", version: "v1", preferred: true)],
            serverAddress: "a")
        let group = try parse(docs.groups["x.io"])
        #expect(group["versions"] == [["groupVersion": "x.io/v1beta1", "version": "v1beta1"],
                                      ["groupVersion": "x.io/v1", "version": "v1"]])
        #expect(group["preferredVersion"] == ["groupVersion": "x.io/v1", "version": "v1"])
    }

    // MARK: resource lists

    @Test("every served group version has a resource list")
    func everyGroupVersion() throws {
        for gv in ResourceCatalog.groupVersions {
            let list = try parse(docs.resourceLists[gv.groupVersion])
            #expect(list["kind"] == "APIResourceList")
            #expect(list["groupVersion"] == .string(gv.groupVersion))
        }
        #expect(docs.resourceLists["apps/v2"] == nil)
    }

    @Test("core v1: pods and its subresources")
    func pods() throws {
        let pods = try entry("v1", "pods")
        #expect(pods["kind"] == "Pod")
        #expect(pods["singularName"] == "pod")
        #expect(pods["namespaced"] == true)
        #expect(pods["shortNames"] == ["po"])
        #expect(pods["categories"] == ["all"])
        #expect(pods["verbs"] == ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])

        let status = try entry("v1", "pods/status")
        #expect(status["kind"] == "Pod")
        #expect(status["namespaced"] == true)
        #expect(status["verbs"] == ["get", "patch", "update"])
        #expect(status["group"] == nil)
        #expect(status["version"] == nil)

        let binding = try entry("v1", "pods/binding")
        #expect(binding["kind"] == "Binding")
        #expect(binding["verbs"] == ["create"])
        #expect(binding["group"] == nil)

        let eviction = try entry("v1", "pods/eviction")
        #expect(eviction["kind"] == "Eviction")
        #expect(eviction["group"] == "policy")
        #expect(eviction["version"] == "v1")
        #expect(eviction["verbs"] == ["create"])
    }

    @Test("subresource entries follow their resource")
    func subresourceOrder() throws {
        let names = try resources("v1").compactMap { $0["name"]?.stringValue }
        let pods = try #require(names.firstIndex(of: "pods"))
        #expect(Array(names[pods...].prefix(4)) == ["pods", "pods/status", "pods/binding", "pods/eviction"])
        #expect(names.contains("namespaces/status"))
        #expect(names.contains("replicationcontrollers/scale"))
        #expect(names.contains("bindings"))
    }

    @Test("cluster-scoped resources are not namespaced")
    func clusterScoped() throws {
        #expect(try entry("v1", "nodes")["namespaced"] == false)
        #expect(try entry("v1", "namespaces")["namespaced"] == false)
        #expect(try entry("v1", "nodes/status")["namespaced"] == false)
        #expect(try entry("storage.k8s.io/v1", "storageclasses")["namespaced"] == false)
    }

    @Test("apps/v1: deployments/scale is autoscaling/v1 Scale")
    func deploymentScale() throws {
        let deployments = try entry("apps/v1", "deployments")
        #expect(deployments["kind"] == "Deployment")
        #expect(deployments["shortNames"] == ["deploy"])
        let scale = try entry("apps/v1", "deployments/scale")
        #expect(scale["kind"] == "Scale")
        #expect(scale["group"] == "autoscaling")
        #expect(scale["version"] == "v1")
        #expect(scale["verbs"] == ["get", "patch", "update"])
        let status = try entry("apps/v1", "deployments/status")
        #expect(status["kind"] == "Deployment")
        #expect(status["group"] == nil)
    }

    @Test("resources without short names or categories leave the fields out")
    func omitEmpty() throws {
        let podTemplates = try entry("v1", "podtemplates")
        #expect(podTemplates["shortNames"] == nil)
        #expect(podTemplates["categories"] == nil)
    }

    // MARK: aggregated discovery

    @Test("aggregated core document (v2)")
    func aggregatedCore() throws {
        let doc = try parse(docs.aggregatedCore["v2"])
        #expect(doc["kind"] == "APIGroupDiscoveryList")
        #expect(doc["apiVersion"] == "apidiscovery.k8s.io/v2")
        let items = try #require(doc["items"]?.arrayValue)
        #expect(items.count == 1)
        let versions = try #require(items[0]["versions"]?.arrayValue)
        #expect(versions.map { $0["version"] } == ["v1"])
        #expect(versions[0]["freshness"] == "Current")
        let resources = try #require(versions[0]["resources"]?.arrayValue)
        let pods = try #require(resources.first { $0["resource"] == "pods" })
        #expect(pods["responseKind"] == ["group": "", "version": "v1", "kind": "Pod"])
        #expect(pods["scope"] == "Namespaced")
        #expect(pods["singularResource"] == "pod")
        #expect(pods["shortNames"] == ["po"])
        let subresources = try #require(pods["subresources"]?.arrayValue)
        #expect(subresources.map { $0["subresource"] } == ["status", "binding", "eviction"])
        let eviction = try #require(subresources.first { $0["subresource"] == "eviction" })
        #expect(eviction["responseKind"] == ["group": "policy", "version": "v1", "kind": "Eviction"])
        #expect(eviction["verbs"] == ["create"])
        let nodes = try #require(resources.first { $0["resource"] == "nodes" })
        #expect(nodes["scope"] == "Cluster")
        let configmaps = try #require(resources.first { $0["resource"] == "configmaps" })
        #expect(configmaps["subresources"] == nil)
    }

    @Test("aggregated groups document (v2) lists the groups with their resources")
    func aggregatedGroups() throws {
        let doc = try parse(docs.aggregatedGroups["v2"])
        #expect(doc["apiVersion"] == "apidiscovery.k8s.io/v2")
        let items = try #require(doc["items"]?.arrayValue)
        let names = items.compactMap { $0[path: ["metadata", "name"]]?.stringValue }
        let listed = try #require(try parse(docs.apis)["groups"]?.arrayValue).compactMap { $0["name"]?.stringValue }
        #expect(names == listed)
        let apps = try #require(items.first { $0[path: ["metadata", "name"]] == "apps" })
        let v1 = try #require(apps["versions"]?.arrayValue?.first)
        #expect(v1["version"] == "v1")
        let deployments = try #require(v1["resources"]?.arrayValue?.first { $0["resource"] == "deployments" })
        #expect(deployments["responseKind"] == ["group": "apps", "version": "v1", "kind": "Deployment"])
        let scale = try #require(deployments["subresources"]?.arrayValue?.first { $0["subresource"] == "scale" })
        #expect(scale["responseKind"] == ["group": "autoscaling", "version": "v1", "kind": "Scale"])
    }

    @Test("v2beta1 documents differ only in apiVersion")
    func v2beta1() throws {
        var core = try parse(docs.aggregatedCore["v2beta1"])
        #expect(core["apiVersion"] == "apidiscovery.k8s.io/v2beta1")
        core["apiVersion"] = "apidiscovery.k8s.io/v2"
        #expect(core == (try parse(docs.aggregatedCore["v2"])))
        var groups = try parse(docs.aggregatedGroups["v2beta1"])
        groups["apiVersion"] = "apidiscovery.k8s.io/v2"
        #expect(groups == (try parse(docs.aggregatedGroups["v2"])))
    }

    // MARK: Accept negotiation

    @Test("aggregatedVersion(accept:)", arguments: [
        (nil, nil),
        ("application/json", nil),
        ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "v2"),
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", "v2beta1"),
        // kubectl's header: v2 first, then v2beta1, then plain JSON.
        ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2"),
        ("application/json; g=apidiscovery.k8s.io; v=v2beta1; as=APIGroupDiscoveryList, application/json", "v2beta1"),
        ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json", nil),
        ("application/json;as=Table;v=v1;g=meta.k8s.io", nil),
    ] as [(String?, String?)])
    func negotiation(_ accept: String?, _ expected: String?) {
        #expect(DiscoveryDocuments.aggregatedVersion(accept: accept) == expected)
    }
}
