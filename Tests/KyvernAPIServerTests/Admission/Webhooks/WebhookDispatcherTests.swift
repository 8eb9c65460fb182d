import Foundation
import KyvernAPI
import Synchronization
import Testing
@testable import KyvernAPIServer

/// A webhook server in memory: answers each AdmissionReview with what `respond` returns for it.
struct FakeWebhookTransport: WebhookTransport {
    let respond: @Sendable (WebhookCall, JSONValue) async throws -> JSONValue
    let calls = CallLog()

    func post(_ call: WebhookCall) async throws -> [UInt8] {
        let review = try JSONValue.parse(call.body)
        calls.record(call.url)
        var response = try await respond(call, review)
        response["uid"] = review[path: ["request", "uid"]]
        let answer: JSONValue = ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response]
        return answer.serialized()
    }

    final class CallLog: Sendable {
        private let urls = Mutex<[String]>([])
        func record(_ url: String) { urls.withLock { $0.append(url) } }
        var all: [String] { urls.withLock { $0 } }
    }
}

@Suite struct WebhookDispatcherTests {
    static let pods = ResourceCatalog.find(group: "", version: "v1", resource: "pods")!

    static func hook(_ name: String, phase: AdmissionWebhook.Phase, url: String = "https://127.0.0.1:9443/hook",
                     extra: [String: JSONValue] = [:]) -> AdmissionWebhook {
        var json: JSONValue = [
            "name": .string(name), "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": ["url": .string(url)],
            "rules": [["operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]]],
        ]
        for (key, value) in extra { json[key] = value }
        return AdmissionWebhook(json, phase: phase, configuration: "config", index: 0)
    }

    static func dispatcher(_ hooks: [AdmissionWebhook], namespaces: [String: [String: String]] = ["default": [:]],
                           transport: any WebhookTransport) -> WebhookDispatcher {
        WebhookDispatcher(webhooks: { phase in hooks.filter { $0.phase == phase } },
                          matcher: WebhookMatcher(namespaceLabels: { namespaces[$0] }),
                          transport: transport,
                          resolveService: { _, _, port in ("10.0.0.1", port) },
                          matchConditions: nil)
    }

    static func podCreate(labels: [String: JSONValue] = [:], dryRun: Bool = false) -> AdmissionAttributes {
        AdmissionAttributes(operation: .create, info: pods, subresource: nil, namespace: "default", name: "p",
                            object: ["apiVersion": "v1", "kind": "Pod",
                                     "metadata": ["name": "p", "namespace": "default", "labels": .object(labels)]],
                            oldObject: nil, user: .clusterAdmin, dryRun: dryRun)
    }

    static func patch(_ operations: JSONValue) -> JSONValue {
        .string(Data(operations.serialized()).base64EncodedString())
    }

    static let refused = FakeWebhookTransport { _, _ in
        throw WebhookTransportError(message: "Post \"https://127.0.0.1:9443/hook?timeout=10s\": dial tcp 127.0.0.1:9443: connect: connection refused")
    }

    @Test func aMutatingWebhooksJSONPatchIsApplied() async throws {
        let transport = FakeWebhookTransport { _, review in
            #expect(review[path: ["request", "operation"]] == "CREATE")
            #expect(review[path: ["request", "kind", "kind"]] == "Pod")
            #expect(review[path: ["request", "options", "kind"]] == "CreateOptions")
            return ["allowed": true, "patchType": "JSONPatch", "warnings": ["labelled"],
                    "patch": Self.patch([["op": "add", "path": "/metadata/labels/stamped", "value": "yes"]])]
        }
        let dispatcher = Self.dispatcher([Self.hook("stamp.example.com", phase: .mutating)], transport: transport)
        let mutation = try await dispatcher.mutate(Self.podCreate())
        #expect(mutation.changed)
        #expect(mutation.object?[path: ["metadata", "labels", "stamped"]] == "yes")
        #expect(mutation.warnings == ["labelled"])
        #expect(transport.calls.all == ["https://127.0.0.1:9443/hook?timeout=10s"])
    }

    @Test func aDenialCarriesTheWebhooksMessage() async throws {
        let transport = FakeWebhookTransport { _, _ in
            ["allowed": false, "status": ["code": 403, "reason": "Forbidden", "message": "no privileged pods"]]
        }
        let dispatcher = Self.dispatcher([Self.hook("deny.example.com", phase: .validating)], transport: transport)
        let error = await #expect(throws: APIError.self) { try await dispatcher.validate(Self.podCreate()) }
        #expect(error?.code == 403)
        #expect(error?.reason == "Forbidden")
        #expect(error?.message == "admission webhook \"deny.example.com\" denied the request: no privileged pods")
    }

    @Test func aDenialWithoutStatusIsA400WithoutExplanation() async throws {
        let transport = FakeWebhookTransport { _, _ in ["allowed": false] }
        let dispatcher = Self.dispatcher([Self.hook("deny.example.com", phase: .validating)], transport: transport)
        let error = await #expect(throws: APIError.self) { try await dispatcher.validate(Self.podCreate()) }
        #expect(error?.code == 400)
        #expect(error?.message == "admission webhook \"deny.example.com\" denied the request without explanation")
    }

    @Test func failurePolicyFailRefusesWhenTheWebhookIsDown() async throws {
        let dispatcher = Self.dispatcher([Self.hook("down.example.com", phase: .validating)], transport: Self.refused)
        let error = await #expect(throws: APIError.self) { try await dispatcher.validate(Self.podCreate()) }
        #expect(error?.code == 500)
        #expect(error?.message == "Internal error occurred: failed calling webhook \"down.example.com\": failed to call webhook: Post \"https://127.0.0.1:9443/hook?timeout=10s\": dial tcp 127.0.0.1:9443: connect: connection refused")
    }

    @Test func failurePolicyIgnoreGoesOnWithoutTheWebhook() async throws {
        let hook = Self.hook("down.example.com", phase: .mutating, extra: ["failurePolicy": "Ignore"])
        let dispatcher = Self.dispatcher([hook], transport: Self.refused)
        let mutation = try await dispatcher.mutate(Self.podCreate())
        #expect(!mutation.changed)
        let validating = Self.hook("down.example.com", phase: .validating, extra: ["failurePolicy": "Ignore"])
        #expect(try await Self.dispatcher([validating], transport: Self.refused).validate(Self.podCreate()) == [])
    }

    @Test func aDryRunIsRefusedByAWebhookWithSideEffects() async throws {
        let transport = FakeWebhookTransport { _, _ in ["allowed": true] }
        let hook = Self.hook("effects.example.com", phase: .validating, extra: ["sideEffects": "Unknown", "failurePolicy": "Ignore"])
        let dispatcher = Self.dispatcher([hook], transport: transport)
        let error = await #expect(throws: APIError.self) { try await dispatcher.validate(Self.podCreate(dryRun: true)) }
        #expect(error?.code == 400)
        #expect(error?.message == "admission webhook \"effects.example.com\" does not support dry run")
        #expect(transport.calls.all.isEmpty)
        let noneOnDryRun = Self.hook("safe.example.com", phase: .validating, extra: ["sideEffects": "NoneOnDryRun"])
        _ = try await Self.dispatcher([noneOnDryRun], transport: transport).validate(Self.podCreate(dryRun: true))
        #expect(transport.calls.all.count == 1)
    }

    @Test func selectorsDecideWhichRequestsAreSent() async throws {
        let transport = FakeWebhookTransport { _, _ in ["allowed": false] }
        let byNamespace = Self.hook("ns.example.com", phase: .validating,
                                    extra: ["namespaceSelector": ["matchLabels": ["webhooks": "on"]]])
        let byObject = Self.hook("obj.example.com", phase: .validating,
                                 extra: ["objectSelector": ["matchExpressions": [["key": "skip", "operator": "DoesNotExist"]]]])
        let off = Self.dispatcher([byNamespace], namespaces: ["default": ["webhooks": "off"]], transport: transport)
        #expect(try await off.validate(Self.podCreate()) == [])
        let on = Self.dispatcher([byNamespace], namespaces: ["default": ["webhooks": "on"]], transport: transport)
        await #expect(throws: APIError.self) { try await on.validate(Self.podCreate()) }
        let objects = Self.dispatcher([byObject], transport: transport)
        #expect(try await objects.validate(Self.podCreate(labels: ["skip": "yes"])) == [])
        await #expect(throws: APIError.self) { try await objects.validate(Self.podCreate()) }
    }

    @Test func invalidResponsesFailAsCallErrors() async throws {
        let wrongUID = FakeWebhookTransport { _, _ in ["allowed": true, "patch": Self.patch([])] }
        let dispatcher = Self.dispatcher([Self.hook("bad.example.com", phase: .validating)], transport: wrongUID)
        let error = await #expect(throws: APIError.self) { try await dispatcher.validate(Self.podCreate()) }
        #expect(error?.message == "Internal error occurred: failed calling webhook \"bad.example.com\": received invalid webhook response: validating webhook may not return response.patch or response.patchType")
    }

    @Test func ifNeededWebhooksAreReinvokedAfterALaterChange() async throws {
        let counter = FakeWebhookTransport.CallLog()
        let transport = FakeWebhookTransport { call, review in
            counter.record(call.url)
            guard call.url.contains("second") else { return ["allowed": true] }
            let labels = review[path: ["request", "object", "metadata", "labels"]]?.objectValue ?? [:]
            if labels["second"] != nil { return ["allowed": true] }
            return ["allowed": true, "patchType": "JSONPatch",
                    "patch": Self.patch([["op": "add", "path": "/metadata/labels/second", "value": "x"]])]
        }
        var first = Self.hook("first.example.com", phase: .mutating, url: "https://h/first",
                              extra: ["reinvocationPolicy": "IfNeeded"])
        first.index = 0
        var second = Self.hook("second.example.com", phase: .mutating, url: "https://h/second")
        second.index = 1
        let mutation = try await Self.dispatcher([first, second], transport: transport).mutate(Self.podCreate())
        #expect(mutation.changed)
        #expect(counter.all.filter { $0.contains("first") }.count == 2)
        #expect(counter.all.filter { $0.contains("second") }.count == 1)
    }

    @Test func serviceWebhooksAreCalledByTheirDNSName() async throws {
        let transport = FakeWebhookTransport { call, _ in
            #expect(call.dialOverride?.host == "hooks.system.svc")
            #expect(call.dialOverride?.address == "10.0.0.1")
            return ["allowed": true]
        }
        let hook = Self.hook("svc.example.com", phase: .validating,
                             extra: ["clientConfig": ["service": ["namespace": "system", "name": "hooks", "path": "/check", "port": 8443]]])
        _ = try await Self.dispatcher([hook], transport: transport).validate(Self.podCreate())
        #expect(transport.calls.all == ["https://hooks.system.svc:8443/check?timeout=10s"])
    }

    @Test func warningsOfEveryValidatingWebhookAreKept() async throws {
        let transport = FakeWebhookTransport { call, _ in ["allowed": true, "warnings": .array([.string(call.url)])] }
        var a = Self.hook("a.example.com", phase: .validating, url: "https://h/a")
        a.index = 0
        var b = Self.hook("b.example.com", phase: .validating, url: "https://h/b")
        b.index = 1
        let warnings = try await Self.dispatcher([a, b], transport: transport).validate(Self.podCreate())
        #expect(warnings == ["https://h/a?timeout=10s", "https://h/b?timeout=10s"])
    }
}
