import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct NamespaceControllerTests {
    let client = FakeClient()

    func deleter(_ resources: [ResourceRef] = [.configMaps, .secrets]) -> NamespaceContentDeleter {
        NamespaceContentDeleter(client: client, resources: { (resources, []) }, logger: Logger(label: "test"))
    }

    func condition(_ type: String) -> JSONValue? {
        let namespace = client.object(.namespaces, name: "team")
        return namespace?[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    func setUp() async throws {
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"]])
        _ = try await client.create(.configMaps, namespace: "team", GCFixtures.configMap("a", namespace: "team"))
        _ = try await client.create(.secrets, namespace: "team",
                                    ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "team"]])
        _ = try await client.create(.configMaps, namespace: "default", GCFixtures.configMap("elsewhere"))
    }

    @Test func activeNamespaceIsLeftAlone() async throws {
        try await setUp()
        #expect(try await deleter().sync(namespace: "team") == .notTerminating)
        #expect(client.objects(.configMaps, namespace: "team").count == 1)
    }

    @Test func emptiesTheNamespaceThenFinalizesIt() async throws {
        try await setUp()
        try await client.delete(.namespaces, name: "team")
        #expect(try await deleter().sync(namespace: "team") == .finalized)
        #expect(client.objects(.configMaps, namespace: "team").isEmpty)
        #expect(client.objects(.secrets, namespace: "team").isEmpty)
        #expect(client.object(.configMaps, namespace: "default", name: "elsewhere") != nil)
        #expect(client.object(.namespaces, name: "team") == nil)
    }

    @Test func contentWithFinalizersKeepsTheNamespaceAndIsReported() async throws {
        try await setUp()
        _ = try await client.create(.configMaps, namespace: "team",
                                    GCFixtures.configMap("held", namespace: "team", finalizers: ["example.com/hold"]))
        try await client.delete(.namespaces, name: "team")
        #expect(try await deleter().sync(namespace: "team") == .waiting)
        #expect(condition("NamespaceContentRemaining")?["message"]
            == "Some resources are remaining: configmaps. has 1 resource instances")
        #expect(condition("NamespaceContentRemaining")?["reason"] == "SomeResourcesRemain")
        #expect(condition("NamespaceFinalizersRemaining")?["message"]
            == "Some finalizers are remaining: example.com/hold in 1 resource instances")
        #expect(condition("NamespaceDeletionDiscoveryFailure")?["status"] == "False")
        #expect(condition("NamespaceDeletionDiscoveryFailure")?["message"] == "All resources successfully discovered")

        _ = try await client.patch(.configMaps, namespace: "team", name: "held", type: .merge,
                                   ["metadata": ["finalizers": .null]])
        #expect(try await deleter().sync(namespace: "team") == .finalized)
        #expect(client.object(.namespaces, name: "team") == nil)
    }

    @Test func discoveryFailureIsReportedAndBlocksFinalization() async throws {
        try await setUp()
        try await client.delete(.namespaces, name: "team")
        struct Down: Error, CustomStringConvertible { var description: String { "discovery unavailable" } }
        let failing = NamespaceContentDeleter(client: client, resources: { throw Down() }, logger: Logger(label: "test"))
        #expect(try await failing.sync(namespace: "team") == .waiting)
        #expect(condition("NamespaceDeletionDiscoveryFailure")?["status"] == "True")
        #expect(condition("NamespaceDeletionDiscoveryFailure")?["message"] == "discovery unavailable")
        #expect(client.object(.namespaces, name: "team") != nil)
    }
}
