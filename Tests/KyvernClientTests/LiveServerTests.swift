import Foundation
import KyvernAPI
import Testing
@testable import KyvernClient

/// Talks to a running server named by `KYVERN_CLIENT_TEST_KUBECONFIG`; skipped when it is unset.
/// Starts nothing itself, so it can run against Kyvern or any upstream cluster.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KYVERN_CLIENT_TEST_KUBECONFIG"] != nil))
struct LiveServerTests {
    static let configMaps = ResourceRef(group: "", version: "v1", resource: "configmaps", namespaced: true)

    func makeClient() throws -> APIClient {
        let path = ProcessInfo.processInfo.environment["KYVERN_CLIENT_TEST_KUBECONFIG"] ?? ""
        return try APIClient(configuration: Kubeconfig.load(path: path).configuration(userAgent: "kyvern-client-tests"))
    }

    @Test func crudPatchWatchAndErrorsAgainstARealServer() async throws {
        let client = try makeClient()
        do {
            try await exercise(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func exercise(_ client: APIClient) async throws {
        let name = "client-test-\(UInt32.random(in: 0...UInt32.max))"
        let ns = "default"

        let before = try await client.list(Self.configMaps, namespace: ns, options: .init(labelSelector: "test=\(name)"))
        #expect(before["items"]?.arrayValue == [])
        let rv = try #require(before[path: ["metadata", "resourceVersion"]]?.stringValue)
        let events = try await client.watch(Self.configMaps, namespace: ns, resourceVersion: rv,
                                            labelSelector: "test=\(name)", timeoutSeconds: 30)

        let created = try await client.create(Self.configMaps, namespace: ns, [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "labels": ["test": .string(name)]], "data": ["a": "1"],
        ])
        let uid = try #require(created[path: ["metadata", "uid"]]?.stringValue)
        #expect(try await client.get(Self.configMaps, namespace: ns, name: name)[path: ["data", "a"]] == "1")

        let merged = try await client.patch(Self.configMaps, namespace: ns, name: name, type: .merge, ["data": ["b": "2"]])
        #expect(merged["data"] == ["a": "1", "b": "2"])
        let applied = try await client.patch(
            Self.configMaps, namespace: ns, name: name, type: .apply(force: true),
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["c": "3"]],
            options: .init(fieldManager: "client-tests"))
        #expect(applied[path: ["data", "c"]] == "3")

        do {
            _ = try await client.delete(Self.configMaps, namespace: ns, name: name, options: .init(preconditionUID: "not-\(uid)"))
            Issue.record("delete with a wrong uid precondition succeeded")
        } catch let error as APIError {
            #expect(error.code == 409)
            #expect(error.reason == "Conflict")
        }
        try await client.delete(Self.configMaps, namespace: ns, name: name, options: .init(preconditionUID: uid))

        do {
            _ = try await client.get(Self.configMaps, namespace: ns, name: name)
            Issue.record("get after delete succeeded")
        } catch let error as APIError {
            #expect(error == APIError(code: 404, reason: "NotFound", message: "configmaps \"\(name)\" not found",
                                      details: .init(name: name, group: nil, kind: "configmaps")))
        }

        var seen: [String] = []
        for try await event in events {
            switch event {
            case .added: seen.append("ADDED")
            case .modified: seen.append("MODIFIED")
            case .deleted: seen.append("DELETED")
            case .bookmark, .error: continue
            }
            if seen.count == 4 { break }
        }
        #expect(seen == ["ADDED", "MODIFIED", "MODIFIED", "DELETED"])
    }
}
