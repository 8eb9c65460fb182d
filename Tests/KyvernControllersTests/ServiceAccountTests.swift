import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernControllers

@Suite struct ServiceAccountTests {
    let client = FakeClient()
    var sync: DefaultServiceAccountSync { DefaultServiceAccountSync(client: client) }

    @Test func createsDefaultInAnActiveNamespaceAndRecreatesIt() async throws {
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"]])
        try await sync.sync(namespace: "team")
        let account = try #require(client.object(.serviceAccounts, namespace: "team", name: "default"))
        #expect(account["kind"] == "ServiceAccount")
        // A second sync changes nothing.
        let version = client.resourceVersion
        try await sync.sync(namespace: "team")
        #expect(client.resourceVersion == version)

        try await client.delete(.serviceAccounts, namespace: "team", name: "default")
        try await sync.sync(namespace: "team")
        #expect(client.object(.serviceAccounts, namespace: "team", name: "default") != nil)
    }

    @Test func leavesTerminatingAndMissingNamespacesAlone() async throws {
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "old"]])
        try await client.delete(.namespaces, name: "old")
        try await sync.sync(namespace: "old")
        try await sync.sync(namespace: "missing")
        #expect(client.objects(.serviceAccounts).isEmpty)
    }
}
