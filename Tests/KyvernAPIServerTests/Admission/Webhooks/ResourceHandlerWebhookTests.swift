import Foundation
import KyvernAPI
import KyvernStore
import Logging
import Testing
@testable import KyvernAPIServer

/// The write path with webhooks: a handler over a `MemoryStore` whose dispatcher reads the real
/// watch cache and posts to an in-memory webhook.
@Suite struct ResourceHandlerWebhookTests {
    struct Harness {
        let cache: WatchCache
        let handler: ResourceHandler

        static func run(respond: @escaping @Sendable (WebhookCall, JSONValue) async throws -> JSONValue,
                        _ body: (Harness, FakeWebhookTransport) async throws -> Void) async throws {
            let logger = Logger(label: "kyvern.test.webhooks")
            let store = MemoryStore()
            let cache = WatchCache(logger: logger)
            await cache.load([], revision: 0)
            let transport = FakeWebhookTransport(respond: respond)
            var handler = ResourceHandler(storage: ObjectStorage(store: store, cache: cache),
                                          pruner: SchemaPruner(schemas: try SchemaSet.bundled()), logger: logger)
            var dispatcher = WebhookDispatcher.live(cache: cache, logger: logger)
            dispatcher.transport = transport
            handler.admissionWebhooks = dispatcher
            let harness = Harness(cache: cache, handler: handler)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await batch in store.watch(prefix: StorageKeys.root, startRevision: 1) {
                        await cache.apply(batch)
                    }
                }
                do {
                    try await body(harness, transport)
                } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }

        @discardableResult
        func send(_ method: String, _ path: String, query: String? = nil, body: JSONValue? = nil) async throws -> (Int, JSONValue, [String]) {
            let target = try #require(RequestTarget.parse(path.split(separator: "/")), "\(path)")
            let info = try #require(ResourceCatalog.find(group: target.group, version: target.version, resource: target.resource))
            var request = ResourceRequest(method: method, target: target, info: info, query: QueryParameters(query),
                                          body: body?.serialized() ?? [], contentType: "application/json", accept: nil)
            let reply = try await handler.handle(&request)
            // The registry reads the watch cache, fed asynchronously: let it catch up, as a client's next request would.
            try await handler.storage.syncCache()
            guard case .json(let status, let bytes, _) = reply else { throw APIError.internalError("not JSON") }
            return (status, try JSONValue.parse(bytes), request.admission.all)
        }
    }

    static let configMapRule: JSONValue = [["operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"],
                                            "resources": ["configmaps"]]]

    static func configuration(_ kind: String, name: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        var hook: JSONValue = ["name": .string(name), "sideEffects": "None", "admissionReviewVersions": ["v1"],
                               "clientConfig": ["url": "https://127.0.0.1:9443/hook"], "rules": configMapRule]
        for (key, value) in extra { hook[key] = value }
        return ["apiVersion": "admissionregistration.k8s.io/v1", "kind": .string("\(kind)WebhookConfiguration"),
                "metadata": ["name": .string(name)], "webhooks": [hook]]
    }

    static func configMap(_ name: String, data: [String: JSONValue] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": .object(data)]
    }

    static let admission = "/apis/admissionregistration.k8s.io/v1"

    @Test func aMutatingWebhookChangesWhatIsStoredOnCreateAndUpdate() async throws {
        try await Harness.run(respond: { _, review in
            let operation = review[path: ["request", "operation"]]?.stringValue ?? ""
            return ["allowed": true, "patchType": "JSONPatch", "warnings": .array([.string("saw \(operation)")]),
                    "patch": .string(Data(JSONValue.array([["op": "add", "path": "/data/seen", "value": .string(operation)]])
                        .serialized()).base64EncodedString())]
        }) { harness, transport in
            try await harness.send("POST", "/api/v1/namespaces", body: ["metadata": ["name": "ns"]])
            let (status, stored, _) = try await harness.send("POST", "\(Self.admission)/mutatingwebhookconfigurations",
                                                              body: Self.configuration("Mutating", name: "seen.example.com"))
            #expect(status == 201)
            #expect(stored["webhooks"]?.arrayValue?.first?["timeoutSeconds"] == 10)
            let (created, object, warnings) = try await harness.send("POST", "/api/v1/namespaces/ns/configmaps",
                                                                     body: Self.configMap("c"))
            #expect(created == 201)
            #expect(object[path: ["data", "seen"]] == "CREATE")
            #expect(warnings == ["saw CREATE"])
            let (_, updated, _) = try await harness.send("PUT", "/api/v1/namespaces/ns/configmaps/c",
                                                         body: Self.configMap("c", data: ["other": "x"]))
            #expect(updated[path: ["data", "seen"]] == "UPDATE")
            #expect(updated[path: ["data", "other"]] == "x")
            #expect(transport.calls.all.count == 2)
        }
    }

    @Test func aValidatingWebhookRefusesAndNothingIsStored() async throws {
        try await Harness.run(respond: { _, review in
            if review[path: ["request", "operation"]] == "DELETE" {
                #expect(review[path: ["request", "oldObject", "metadata", "name"]] == "keep")
                #expect(review[path: ["request", "object"]] == .null)
                return ["allowed": false, "status": ["message": "keep it"]]
            }
            return ["allowed": .bool(review[path: ["request", "object", "data", "bad"]] == nil)]
        }) { harness, _ in
            try await harness.send("POST", "/api/v1/namespaces", body: ["metadata": ["name": "ns"]])
            try await harness.send("POST", "\(Self.admission)/validatingwebhookconfigurations",
                                   body: Self.configuration("Validating", name: "check.example.com"))
            let refused = await #expect(throws: APIError.self) {
                try await harness.send("POST", "/api/v1/namespaces/ns/configmaps", body: Self.configMap("c", data: ["bad": "1"]))
            }
            #expect(refused?.message == "admission webhook \"check.example.com\" denied the request without explanation")
            await #expect(throws: APIError.self) { try await harness.send("GET", "/api/v1/namespaces/ns/configmaps/c") }
            try await harness.send("POST", "/api/v1/namespaces/ns/configmaps", body: Self.configMap("keep"))
            let kept = await #expect(throws: APIError.self) {
                try await harness.send("DELETE", "/api/v1/namespaces/ns/configmaps/keep")
            }
            #expect(kept?.message == "admission webhook \"check.example.com\" denied the request: keep it")
            let collection = await #expect(throws: APIError.self) {
                try await harness.send("DELETE", "/api/v1/namespaces/ns/configmaps")
            }
            #expect(collection?.message == "admission webhook \"check.example.com\" denied the request: keep it")
            let (status, _, _) = try await harness.send("GET", "/api/v1/namespaces/ns/configmaps/keep")
            #expect(status == 200)
        }
    }

    @Test func configurationsAreValidatedAndNeverSentToWebhooks() async throws {
        try await Harness.run(respond: { _, _ in ["allowed": false] }) { harness, transport in
            try await harness.send("POST", "\(Self.admission)/validatingwebhookconfigurations",
                                   body: Self.configuration("Validating", name: "all.example.com",
                                                            extra: ["rules": [["operations": ["*"], "apiGroups": ["*"],
                                                                               "apiVersions": ["*"], "resources": ["*"]]]]))
            let (status, _, _) = try await harness.send("POST", "\(Self.admission)/validatingwebhookconfigurations",
                                                         body: Self.configuration("Validating", name: "second.example.com"))
            #expect(status == 201)
            #expect(transport.calls.all.isEmpty)
            let invalid = await #expect(throws: APIError.self) {
                try await harness.send("POST", "\(Self.admission)/validatingwebhookconfigurations",
                                       body: Self.configuration("Validating", name: "bad.example.com",
                                                                extra: ["sideEffects": "Some"]))
            }
            #expect(invalid?.code == 422)
            #expect(invalid?.details?.causes.map(\.fieldError)
                == ["webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\""])
        }
    }

    @Test func aServiceResolvesToAReadyEndpointOrItsClusterIP() async throws {
        try await Harness.run(respond: { _, _ in ["allowed": true] }) { harness, _ in
            try await harness.send("POST", "/api/v1/namespaces", body: ["metadata": ["name": "hooks"]])
            try await harness.send("POST", "/api/v1/namespaces/hooks/services", body: [
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": "svc"],
                "spec": ["clusterIP": "None", "ports": [["name": "https", "port": 443, "targetPort": 8443]]]])
            let registry = WebhookRegistry(cache: harness.cache)
            await #expect(throws: APIError.self) { try await registry.resolveService(namespace: "hooks", name: "svc", port: 443) }
            try await harness.send("POST", "/apis/discovery.k8s.io/v1/namespaces/hooks/endpointslices", body: [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": ["name": "svc-1", "labels": ["kubernetes.io/service-name": "svc"]],
                "ports": [["name": "https", "port": 8443]],
                "endpoints": [["addresses": ["10.1.0.9"], "conditions": ["ready": false]],
                              ["addresses": ["10.1.0.7"], "conditions": ["ready": true]]]])
            let resolved = try await registry.resolveService(namespace: "hooks", name: "svc", port: 443)
            #expect(resolved.address == "10.1.0.7")
            #expect(resolved.port == 8443)
            let missing = await #expect(throws: APIError.self) {
                try await registry.resolveService(namespace: "hooks", name: "gone", port: 443)
            }
            #expect(missing?.message == "service \"gone\" not found")
        }
    }
}

extension ResourceHandlerWebhookTests {
    @Test func aScaleIsSentAsAScaleAndItsReplicasMayBeChanged() async throws {
        try await Harness.run(respond: { _, review in
            #expect(review[path: ["request", "kind"]] == ["group": "autoscaling", "version": "v1", "kind": "Scale"])
            #expect(review[path: ["request", "resource"]] == ["group": "apps", "version": "v1", "resource": "deployments"])
            #expect(review[path: ["request", "subResource"]] == "scale")
            #expect(review[path: ["request", "object", "kind"]] == "Scale")
            #expect(review[path: ["request", "oldObject", "spec", "replicas"]] == 1)
            let capped = Data(JSONValue.array([["op": "replace", "path": "/spec/replicas", "value": 3]]).serialized())
            return ["allowed": true, "patchType": "JSONPatch", "patch": .string(capped.base64EncodedString())]
        }) { harness, transport in
            try await harness.send("POST", "/api/v1/namespaces", body: ["metadata": ["name": "ns"]])
            var configuration = Self.configuration("Mutating", name: "cap.example.com")
            configuration[path: ["webhooks"]] = .array([configuration["webhooks"]!.arrayValue![0].merging(
                ["rules": [["operations": ["UPDATE"], "apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments/scale"]]]])])
            try await harness.send("POST", "\(Self.admission)/mutatingwebhookconfigurations", body: configuration)
            let labels: JSONValue = ["app": "web"]
            try await harness.send("POST", "/apis/apps/v1/namespaces/ns/deployments", body: [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                "spec": ["replicas": 1, "selector": ["matchLabels": labels],
                         "template": ["metadata": ["labels": labels],
                                      "spec": ["containers": [["name": "app", "image": "nginx"]]]]]])
            #expect(transport.calls.all.isEmpty)
            let (_, scale, _) = try await harness.send("PUT", "/apis/apps/v1/namespaces/ns/deployments/web/scale", body: [
                "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": ["name": "web", "namespace": "ns"],
                "spec": ["replicas": 10]])
            #expect(scale[path: ["spec", "replicas"]] == 3)
            let (_, deployment, _) = try await harness.send("GET", "/apis/apps/v1/namespaces/ns/deployments/web")
            #expect(deployment[path: ["spec", "replicas"]] == 3)
            #expect(transport.calls.all.count == 1)
        }
    }
}

private extension JSONValue {
    func merging(_ other: [String: JSONValue]) -> JSONValue {
        var copy = self
        for (key, value) in other { copy[key] = value }
        return copy
    }
}

extension ResourceHandlerWebhookTests {
    @Test func anEvictionIsSentAsACreateOfItsEviction() async throws {
        try await Harness.run(respond: { _, review in
            #expect(review[path: ["request", "operation"]] == "CREATE")
            #expect(review[path: ["request", "kind"]] == ["group": "policy", "version": "v1", "kind": "Eviction"])
            #expect(review[path: ["request", "subResource"]] == "eviction")
            #expect(review[path: ["request", "name"]] == "p")
            return ["allowed": false, "status": ["code": 429, "reason": "TooManyRequests", "message": "not now"]]
        }) { harness, transport in
            try await harness.send("POST", "/api/v1/namespaces", body: ["metadata": ["name": "ns"]])
            try await harness.send("POST", "/api/v1/namespaces/ns/serviceaccounts", body: ["metadata": ["name": "default"]])
            try await harness.send("POST", "/api/v1/namespaces/ns/pods", body: [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                "spec": ["containers": [["name": "app", "image": "nginx"]]]])
            var configuration = Self.configuration("Validating", name: "evict.example.com")
            configuration[path: ["webhooks"]] = .array([configuration["webhooks"]!.arrayValue![0].merging(
                ["rules": [["operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/eviction"]]]])])
            try await harness.send("POST", "\(Self.admission)/validatingwebhookconfigurations", body: configuration)
            let refused = await #expect(throws: APIError.self) {
                try await harness.send("POST", "/api/v1/namespaces/ns/pods/p/eviction", body: [
                    "apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": "p", "namespace": "ns"]])
            }
            #expect(refused?.code == 429)
            #expect(refused?.message == "admission webhook \"evict.example.com\" denied the request: not now")
            let (status, _, _) = try await harness.send("GET", "/api/v1/namespaces/ns/pods/p")
            #expect(status == 200)
            #expect(transport.calls.all.count == 1)
        }
    }
}
