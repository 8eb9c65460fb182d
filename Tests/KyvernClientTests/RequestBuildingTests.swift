import KyvernAPI
import Testing
@testable import KyvernClient

@Suite struct RequestBuildingTests {
    let server = "https://127.0.0.1:6443"

    @Test func pathsForCoreAndGroupedResources() {
        #expect(ResourceRef.pods.path(namespace: "ns1") == "/api/v1/namespaces/ns1/pods")
        #expect(ResourceRef.pods.path() == "/api/v1/pods")
        #expect(ResourceRef.pods.path(namespace: "ns1", name: "web-0", subresource: "status")
            == "/api/v1/namespaces/ns1/pods/web-0/status")
        #expect(ResourceRef.deployments.path(namespace: "d", name: "x") == "/apis/apps/v1/namespaces/d/deployments/x")
        // A namespace given for a cluster-scoped resource is not part of its path.
        #expect(ResourceRef.nodes.path(namespace: "ignored", name: "n1") == "/api/v1/nodes/n1")
        #expect(ResourceRef.pods.path(namespace: "a b", name: "c/d") == "/api/v1/namespaces/a%20b/pods/c%2Fd")
        #expect(ResourceRef.leases.description == "leases.v1.coordination.k8s.io")
    }

    @Test func listQueryIsEncodedInOrder() {
        let options = ListOptions(labelSelector: "app=web,tier in (a,b)", fieldSelector: "spec.nodeName=",
                                  limit: 500, continueToken: "eyJ2Ijoi+/=", resourceVersion: "0",
                                  resourceVersionMatch: "NotOlderThan")
        let target = Requests.list(.pods, namespace: "ns", options: options)
        #expect(target.method == "GET")
        #expect(target.url(server: server + "/") ==
            "https://127.0.0.1:6443/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29"
            + "&fieldSelector=spec.nodeName%3D&limit=500&continue=eyJ2Ijoi%2B%2F%3D&resourceVersion=0"
            + "&resourceVersionMatch=NotOlderThan")
        #expect(Requests.list(.nodes, namespace: nil, options: .init()).url(server: server)
            == "https://127.0.0.1:6443/api/v1/nodes")
        // resourceVersionMatch means nothing without a resourceVersion.
        #expect(ListOptions(resourceVersionMatch: "Exact").queryItems.isEmpty)
    }

    @Test func watchQueryDropsPagingAndAsksForBookmarks() {
        let options = ListOptions(labelSelector: "a=b", limit: 10, continueToken: "x", resourceVersion: "42",
                                  timeoutSeconds: 300)
        let target = Requests.watch(.pods, namespace: nil, options: options, allowWatchBookmarks: true)
        #expect(target.url(server: server) == "https://127.0.0.1:6443/api/v1/pods?watch=true&allowWatchBookmarks=true"
            + "&labelSelector=a%3Db&resourceVersion=42&timeoutSeconds=300")
        let plain = Requests.watch(.nodes, namespace: nil, options: .init(), allowWatchBookmarks: false)
        #expect(plain.url(server: server) == "https://127.0.0.1:6443/api/v1/nodes?watch=true")
    }

    @Test func writesCarryBodyContentTypeAndOptions() throws {
        let pod: JSONValue = ["metadata": ["name": "p"], "spec": [:]]
        let create = Requests.create(.pods, namespace: "ns", body: pod.serialized(),
                                     options: .init(fieldManager: "kyvern-controller", dryRun: true))
        #expect(create == RequestTarget(method: "POST", path: "/api/v1/namespaces/ns/pods",
                                        query: [("dryRun", "All"), ("fieldManager", "kyvern-controller")],
                                        body: pod.serialized(), contentType: "application/json"))
        let status = Requests.update(.deployments, namespace: "ns", name: "d", subresource: "status",
                                     body: [], options: .init())
        #expect(status.method == "PUT")
        #expect(status.path == "/apis/apps/v1/namespaces/ns/deployments/d/status")
        #expect(try APIClient.name(of: pod) == "p")
        #expect(throws: APIError.self) { try APIClient.name(of: ["metadata": [:]]) }
    }

    @Test func patchTypesChooseContentTypeAndForce() {
        let cases: [(PatchType, String)] = [
            (.json, "application/json-patch+json"), (.merge, "application/merge-patch+json"),
            (.strategicMerge, "application/strategic-merge-patch+json"), (.apply(force: false), "application/apply-patch+yaml"),
        ]
        for (type, contentType) in cases {
            let target = Requests.patch(.pods, namespace: "n", name: "p", type: type, body: [0x7B, 0x7D],
                                        options: .init(fieldManager: "m"))
            #expect(target.method == "PATCH")
            #expect(target.contentType == contentType)
            #expect(target.query.map { "\($0.0)=\($0.1)" } == ["fieldManager=m"])
        }
        let forced = Requests.patch(.pods, namespace: "n", name: "p", subresource: "status", type: .apply(force: true),
                                    body: [], options: .init(fieldManager: "m"))
        #expect(forced.url(server: server)
            == "https://127.0.0.1:6443/api/v1/namespaces/n/pods/p/status?fieldManager=m&force=true")
    }

    @Test func deleteOptionsBody() throws {
        let options = DeleteOptions(gracePeriodSeconds: 0, preconditionUID: "u-1", preconditionResourceVersion: "7",
                                    propagationPolicy: .foreground, dryRun: true)
        let target = Requests.delete(.replicaSets, namespace: "n", name: "rs", options: options)
        #expect(target.method == "DELETE")
        #expect(target.path == "/apis/apps/v1/namespaces/n/replicasets/rs")
        #expect(try JSONValue.parse(target.body ?? []) == [
            "kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
            "preconditions": ["uid": "u-1", "resourceVersion": "7"], "propagationPolicy": "Foreground",
            "dryRun": ["All"],
        ])
        #expect(DeleteOptions().body == ["kind": "DeleteOptions", "apiVersion": "v1"])
    }

    @Test func bindingTargetsThePodsBindingSubresource() {
        let target = Requests.create(.pods, namespace: "ns", body: [], options: .init(), name: "web-0", subresource: "binding")
        #expect(target.url(server: server) == "https://127.0.0.1:6443/api/v1/namespaces/ns/pods/web-0/binding")
        #expect(target.method == "POST")
    }
}

/// Records what the defaulted overloads of ``KubernetesClient`` forward to.
final class RecordingClient: KubernetesClient, @unchecked Sendable {
    var calls: [String] = []

    func get(_ ref: ResourceRef, namespace: String?, name: String) async throws -> JSONValue {
        calls.append("get \(ref.resource) \(namespace ?? "-") \(name)"); return [:]
    }
    func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> JSONValue {
        calls.append("list \(ref.resource) \(namespace ?? "-") \(options.labelSelector ?? "-")"); return [:]
    }
    func watch(_ ref: ResourceRef, namespace: String?,
               options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        calls.append("watch \(ref.resource) \(namespace ?? "-") \(options.resourceVersion ?? "-")")
        return AsyncThrowingStream { $0.finish() }
    }
    func create(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        calls.append("create \(ref.resource) \(namespace ?? "-") \(options.fieldManager ?? "-")"); return object
    }
    func update(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        calls.append("update \(ref.resource) \(namespace ?? "-") \(options.dryRun)"); return object
    }
    func updateStatus(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        calls.append("updateStatus \(ref.resource) \(namespace ?? "-")"); return object
    }
    func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String?, type: PatchType,
               _ patch: JSONValue, options: WriteOptions) async throws -> JSONValue {
        calls.append("patch \(ref.resource) \(namespace ?? "-") \(name) \(subresource ?? "-") \(options.fieldManager ?? "-")")
        return patch
    }
    func delete(_ ref: ResourceRef, namespace: String?, name: String, options: DeleteOptions) async throws -> JSONValue {
        calls.append("delete \(ref.resource) \(namespace ?? "-") \(name) \(options.propagationPolicy?.rawValue ?? "-")")
        return [:]
    }
    func createSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                           _ body: JSONValue) async throws -> JSONValue {
        calls.append("post \(ref.resource) \(namespace ?? "-") \(name)/\(subresource)"); return body
    }
}

@Suite struct ClientProtocolDefaultsTests {
    @Test func defaultedOverloadsForwardToTheRequirements() async throws {
        let recorder = RecordingClient()
        let client: any KubernetesClient = recorder
        _ = try await client.get(.nodes, name: "n1")
        _ = try await client.list(.pods)
        _ = try await client.list(.pods, namespace: "a")
        _ = try await client.list(.pods, options: .init(labelSelector: "x=y"))
        _ = try await client.watch(.pods, options: .init(resourceVersion: "5"))
        _ = try await client.create(.pods, namespace: "a", ["metadata": ["name": "p"]])
        _ = try await client.create(.nodes, ["metadata": ["name": "n"]], options: .init(fieldManager: "m"))
        _ = try await client.update(.pods, namespace: "a", [:])
        _ = try await client.update(.nodes, [:], options: .init(dryRun: true))
        _ = try await client.updateStatus(.pods, namespace: "a", [:])
        _ = try await client.patch(.pods, namespace: "a", name: "p", type: .merge, [:])
        _ = try await client.patch(.pods, namespace: "a", name: "p", subresource: "status", type: .merge, [:])
        _ = try await client.patch(.nodes, name: "n", subresource: "status", type: .apply(force: true), [:],
                                   options: .init(fieldManager: "k"))
        try await client.delete(.pods, namespace: "a", name: "p")
        try await client.delete(.nodes, name: "n", options: .init(propagationPolicy: .orphan))
        #expect(recorder.calls == [
            "get nodes - n1", "list pods - -", "list pods a -", "list pods - x=y", "watch pods - 5",
            "create pods a -", "create nodes - m", "update pods a false", "update nodes - true",
            "updateStatus pods a", "patch pods a p - -", "patch pods a p status -", "patch nodes - n status k",
            "delete pods a p -", "delete nodes - n Orphan",
        ])
    }

    @Test func bindPostsABindingToThePodsBindingSubresource() async throws {
        let recorder = RecordingClient()
        let binding = try await recorder.bind(namespace: "ns", pod: "web-0", uid: "u1", node: "node-3")
        #expect(recorder.calls == ["post pods ns web-0/binding"])
        #expect(binding == [
            "kind": "Binding", "apiVersion": "v1", "metadata": ["name": "web-0", "namespace": "ns", "uid": "u1"],
            "target": ["kind": "Node", "apiVersion": "v1", "name": "node-3"],
        ])
        let noUID = try await recorder.bind(namespace: "ns", pod: "web-1", node: "node-3")
        #expect(noUID[path: ["metadata", "uid"]] == nil)
    }
}
