import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Synchronization
import Testing
@testable import KyvernControllers

/// A node's request for its Ingress controller's certificate (signer kyvern.io/ingress-client).
@Suite("ingress client certificate requests: rules, approval, signing")
struct IngressClientRequestTests {
    let subject = CertificateRequestSubject(commonName: "system:kyvern-ingress:worker-1", organizations: ["system:kyvern-ingresses"])
    let usages = ["digital signature", "client auth"]
    let client = FakeClient()

    @Test func onlyTheNodeItselfMayAskForItsIngressIdentity() {
        #expect(IngressClientRequest.validationError(subject, usages: usages) == nil)
        #expect(IngressClientRequest.isSelfRequest(subject, usages: usages, requester: "system:node:worker-1"))
        #expect(!IngressClientRequest.isSelfRequest(subject, usages: usages, requester: "system:node:worker-2"))
        #expect(!IngressClientRequest.isSelfRequest(subject, usages: usages, requester: "system:bootstrap:kyvern"))
        var masters = subject
        masters.organizations = ["system:kyvern-ingresses", "system:masters"]
        #expect(IngressClientRequest.validationError(masters, usages: usages) == "subject organization is not system:kyvern-ingresses")
        #expect(!IngressClientRequest.isSelfRequest(masters, usages: usages, requester: "system:node:worker-1"))
        var other = subject
        other.commonName = "system:node:worker-1"
        #expect(IngressClientRequest.validationError(other, usages: usages)
                == "subject common name does not begin with system:kyvern-ingress:")
        other = subject
        other.alternativeNameKinds = ["DNS"]
        #expect(IngressClientRequest.validationError(other, usages: usages) == "DNS subjectAltNames are not allowed")
        #expect(IngressClientRequest.validationError(subject, usages: ["client auth", "server auth"]) != nil)
    }

    func csr(_ name: String, commonName: String, requester: String, approved: Bool = false) throws -> JSONValue {
        let pem = try certificateRequestPEM(commonName: commonName, organizations: ["system:kyvern-ingresses"])
        var object: JSONValue = [
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": ["name": .string(name)],
            "spec": ["request": .string(Data(pem.utf8).base64EncodedString()), "signerName": "kyvern.io/ingress-client",
                     "usages": ["digital signature", "client auth"], "username": .string(requester),
                     "groups": ["system:nodes", "system:authenticated"]],
        ]
        if approved { object[path: ["status", "conditions"]] = [["type": "Approved", "status": "True", "reason": "AutoApproved"]] }
        return object
    }

    func approve(_ object: JSONValue, allowing allowed: Set<String>) async throws -> [JSONValue] {
        client.prependReactor(verb: "create", resource: "subjectaccessreviews") { action in
            var review = action.body ?? [:]
            let subresource = review[path: ["spec", "resourceAttributes", "subresource"]]?.stringValue ?? ""
            review["status"] = ["allowed": .bool(allowed.contains(subresource))]
            return review
        }
        client.prependReactor(verb: "update", resource: "certificatesigningrequests/approval") { $0.body }
        let controller = CertificateApprovingController(client: client, requests: StaticCache(objects: [object]),
                                                        logger: Logger(label: "test"))
        try await controller.reconcile(ObjectKey(namespace: nil, name: object.name ?? ""))
        return client.actions.filter { $0.verb == "update" && $0.subresource == "approval" }.compactMap(\.body)
    }

    @Test func aNodesOwnRequestIsApprovedAfterTheSelfnodeingressReview() async throws {
        let approvals = try await approve(try csr("ingress-client-csr-a", commonName: "system:kyvern-ingress:worker-1",
                                                  requester: "system:node:worker-1"), allowing: ["selfnodeingress"])
        let review = try #require(client.actions.first { $0.resource == "subjectaccessreviews" }?.body)
        #expect(review[path: ["spec", "user"]] == "system:node:worker-1")
        #expect(review[path: ["spec", "resourceAttributes", "subresource"]] == "selfnodeingress")
        let condition = try #require(approvals.first?[path: ["status", "conditions"]]?.arrayValue?.first)
        #expect(condition["type"] == "Approved" && condition["reason"] == "AutoApproved")
        #expect(condition["message"] == .string(IngressClientRequest.approvalMessage))
    }

    @Test func anotherNodesRequestOrOneRbacRefusesIsNotApproved() async throws {
        var approvals = try await approve(try csr("theirs", commonName: "system:kyvern-ingress:worker-1",
                                                  requester: "system:node:worker-2"), allowing: ["selfnodeingress"])
        #expect(approvals.isEmpty)
        #expect(!client.actions.contains { $0.resource == "subjectaccessreviews" })
        approvals = try await approve(try csr("refused", commonName: "system:kyvern-ingress:worker-1",
                                              requester: "system:node:worker-1"), allowing: [])
        #expect(approvals.isEmpty)
    }

    @Test func theSignerSignsAnApprovedIngressRequestAndRefusesAnotherSubject() async throws {
        let signer = RecordingSigner()
        func sign(_ object: JSONValue) async throws -> JSONValue {
            _ = try client.seed(.certificateSigningRequests, object)
            let controller = CertificateSigningController(client: client, requests: StaticCache(objects: [object]), signer: signer,
                                                          maximumValidity: 3600, logger: Logger(label: "test"))
            try await controller.reconcile(ObjectKey(namespace: nil, name: object.name ?? ""))
            return try #require(client.object(.certificateSigningRequests, name: object.name ?? ""))
        }
        let signed = try await sign(try csr("good", commonName: "system:kyvern-ingress:worker-1",
                                            requester: "system:node:worker-1", approved: true))
        #expect(signed[path: ["status", "certificate"]]?.stringValue?.isEmpty == false)
        let refused = try await sign(try csr("bad", commonName: "kyvern-admin", requester: "system:node:worker-1", approved: true))
        #expect(refused[path: ["status", "certificate"]] == nil)
        #expect(refused[path: ["status", "conditions"]]?.arrayValue?.contains { $0["type"] == "Failed" } == true)
        #expect(signer.requests.withLock { $0.count } == 1)
    }
}
