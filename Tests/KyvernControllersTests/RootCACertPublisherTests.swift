import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernControllers

@Suite struct RootCACertPublisherTests {
    let client = FakeClient()
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    var sync: RootCAConfigMapSync {
        RootCAConfigMapSync(client: client, namespaces: LiveObjects(client: client, resource: .namespaces),
                            configMaps: LiveObjects(client: client, resource: .configMaps), caPEM: pem)
    }

    @Test func publishesTheCAAndPutsItBackWhenChangedOrDeleted() async throws {
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"]])
        try await sync.sync(namespace: "team")
        let published = try #require(client.object(.configMaps, namespace: "team", name: "kube-root-ca.crt"))
        #expect(published["data"] == ["ca.crt": .string(pem)])
        let description = published[path: ["metadata", "annotations", "kubernetes.io/description"]]?.stringValue ?? ""
        #expect(description.count > 20)

        let version = client.resourceVersion
        try await sync.sync(namespace: "team")
        #expect(client.resourceVersion == version, "an up-to-date ConfigMap is not written again")

        var edited = published
        edited["data"] = ["ca.crt": "tampered", "extra": "x"]
        _ = try await client.update(.configMaps, namespace: "team", edited)
        try await sync.sync(namespace: "team")
        #expect(client.object(.configMaps, namespace: "team", name: "kube-root-ca.crt")?["data"] == ["ca.crt": .string(pem)])

        try await client.delete(.configMaps, namespace: "team", name: "kube-root-ca.crt")
        try await sync.sync(namespace: "team")
        #expect(client.object(.configMaps, namespace: "team", name: "kube-root-ca.crt")?["data"] == ["ca.crt": .string(pem)])
    }

    @Test func leavesTerminatingAndMissingNamespacesAlone() async throws {
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "old"]])
        try await client.delete(.namespaces, name: "old")
        try await sync.sync(namespace: "old")
        try await sync.sync(namespace: "missing")
        #expect(client.objects(.configMaps).isEmpty)
    }
}

/// The fake's objects of one resource as they are at each read, as an informer that keeps up would show them.
private struct LiveObjects: ObjectCache {
    let client: FakeClient
    let resource: ResourceRef

    func get(namespace: String?, name: String) async -> JSONValue? { client.object(resource, namespace: namespace, name: name) }
    func list(namespace: String?) async -> [JSONValue] { client.objects(resource) }
}
