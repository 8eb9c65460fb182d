import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("ServedResources")
struct ServedResourcesTests {
    func served() throws -> ServedResources {
        ServedResources(openAPI: try OpenAPIDocuments.load(), serverAddress: "127.0.0.1:6443")
    }

    @Test func anEstablishedDefinitionIsRoutedListedAndDescribed() throws {
        let served = try served()
        #expect(served.find(group: "stable.example.com", version: "v1", resource: "crontabs") == nil)
        served.update(definitions: [CustomResourceFixtures.definition()])
        let info = try #require(served.find(group: "stable.example.com", version: "v1", resource: "crontabs"))
        #expect(info.kind == "CronTab" && info.listKind == "CronTabList" && info.namespaced && info.shortNames == ["ct"])
        #expect(info.subresource("status") != nil && info.subresource("scale")?.group == "autoscaling")
        let list = try JSONValue.parse(try #require(served.discovery.resourceLists["stable.example.com/v1"]))
        #expect((list["resources"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            == ["crontabs", "crontabs/status", "crontabs/scale"])
        let groups = try JSONValue.parse(served.discovery.apis)
        #expect((groups["groups"]?.arrayValue ?? []).last?["name"] == "stable.example.com")
        let root = try JSONValue.parse(served.rootPaths)
        #expect((root["paths"]?.arrayValue ?? []).contains("/apis/stable.example.com/v1"))
        let index = try JSONValue.parse(served.openAPI.v3Index)
        #expect(index[path: ["paths", "apis/stable.example.com/v1"]] != nil)
        #expect(index[path: ["paths", "apis/apps/v1"]] != nil)
        // Gone again once the definition is.
        served.update(definitions: [])
        #expect(served.find(group: "stable.example.com", version: "v1", resource: "crontabs") == nil)
        #expect(served.discovery.resourceLists["stable.example.com/v1"] == nil)
    }

    @Test func aDefinitionNotYetEstablishedIsNotServed() throws {
        let served = try served()
        served.update(definitions: [CustomResourceFixtures.definition(established: false)])
        #expect(served.find(group: "stable.example.com", version: "v1", resource: "crontabs") == nil)
    }

    @Test func aDefinitionMayNotTakeOverABuiltInGroup() throws {
        let served = try served()
        served.update(definitions: [CustomResourceFixtures.definition(group: "apps", plural: "widgets", kind: "Widget")])
        #expect(served.find(group: "apps", version: "v1", resource: "widgets") == nil)
    }

    @Test func theGroupPrefersItsHighestPriorityVersion() throws {
        let served = try served()
        let versions: [JSONValue] = [
            CustomResourceFixtures.version("v1alpha1"), CustomResourceFixtures.version("v2beta1"),
            CustomResourceFixtures.version("v1", storage: true), CustomResourceFixtures.version("v3", served: false),
        ]
        served.update(definitions: [CustomResourceFixtures.definition(versions: versions)])
        let group = try JSONValue.parse(try #require(served.discovery.groups["stable.example.com"]))
        #expect((group["versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue } == ["v1", "v2beta1", "v1alpha1"])
        #expect(group[path: ["preferredVersion", "version"]] == "v1")
    }

    @Test func kubeVersionsSortAsUpstreamSortsThem() {
        let sorted = ["foo1", "v1alpha1", "v12alpha1", "v1beta1", "v2", "v10", "v11beta2", "v10beta3", "v1", "foo10"]
            .sorted { KubeVersionOrder.rank($0) < KubeVersionOrder.rank($1) }
        #expect(sorted == ["v10", "v2", "v1", "v11beta2", "v10beta3", "v1beta1", "v12alpha1", "v1alpha1", "foo1", "foo10"])
    }

    @Test func aDeprecatedVersionCarriesUpstreamsDefaultWarning() throws {
        let versions = [CustomResourceFixtures.version("v1beta1", deprecated: true), CustomResourceFixtures.version("v1", storage: true)]
        let served = CustomResourceVersion.servedVersions(of: CustomResourceFixtures.definition(versions: versions))
        #expect(served.first { $0.info.version == "v1beta1" }?.deprecationWarning == "stable.example.com/v1beta1 CronTab is deprecated")
        #expect(served.first { $0.info.version == "v1" }?.deprecationWarning == nil)
        #expect(served.allSatisfy { $0.storageVersion == "v1" })
    }
}
