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

    /// An informer and a paged list against the real server: list, watch with bookmarks, continue tokens.
    @Test func informerAndPagedListAgainstARealServer() async throws {
        let client = try makeClient()
        let label = "informer-test-\(UInt32.random(in: 0...UInt32.max))"
        let ns = "default"
        func configMap(_ i: Int) -> JSONValue {
            ["apiVersion": "v1", "kind": "ConfigMap",
             "metadata": ["name": .string("\(label)-\(i)"), "labels": ["test": .string(label)]], "data": ["i": .string(String(i))]]
        }
        do {
            for i in 0..<3 { _ = try await client.create(Self.configMaps, namespace: ns, configMap(i)) }
            let all = try await client.listAll(Self.configMaps, namespace: ns, options: .init(labelSelector: "test=\(label)", limit: 1))
            #expect(all["items"]?.arrayValue?.count == 3)

            let informer = Informer(client: client, resource: Self.configMaps, namespace: ns, labelSelector: "test=\(label)")
            let log = EventLog()
            await informer.addHandler { log.append(EventLog.describe($0)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                await informer.waitForSync()
                #expect(log.all.sorted() == ["added \(label)-0", "added \(label)-1", "added \(label)-2"])
                _ = try await client.patch(Self.configMaps, namespace: ns, name: "\(label)-1", type: .merge, ["data": ["i": "x"]])
                try await client.delete(Self.configMaps, namespace: ns, name: "\(label)-2")
                try await eventually(10) { log.all.count == 5 }
                #expect(log.all.last == "deleted \(label)-2")
                #expect(log.all[3].hasPrefix("updated \(label)-1"))
                #expect(await informer.lister.get(namespace: ns, name: "\(label)-1")?[path: ["data", "i"]] == "x")
                group.cancelAll()
            }
        } catch {
            for i in 0..<3 { _ = try? await client.delete(Self.configMaps, namespace: ns, name: "\(label)-\(i)") }
            try? await client.shutdown()
            throw error
        }
        for i in 0..<2 { try await client.delete(Self.configMaps, namespace: ns, name: "\(label)-\(i)") }
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
