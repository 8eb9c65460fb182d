import Crypto
import SwiftASN1
import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
import X509
@testable import KyvernControllers

/// A PEM request with the given subject and alternative names, signed by a fresh P-256 key.
func certificateRequestPEM(commonName: String, organizations: [String], dnsNames: [String] = []) throws -> String {
    let key = P256.Signing.PrivateKey()
    let subject = try DistinguishedName {
        for organization in organizations { OrganizationName(organization) }
        CommonName(commonName)
    }
    var attributes = CertificateSigningRequest.Attributes()
    if !dnsNames.isEmpty {
        let extensions = try Certificate.Extensions { SubjectAlternativeNames(dnsNames.map { .dnsName($0) }) }
        attributes.insert(try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions)))
    }
    let request = try CertificateSigningRequest(version: .v1, subject: subject, privateKey: .init(key),
                                                attributes: attributes, signatureAlgorithm: .ecdsaWithSHA256)
    return try request.serializeAsPEM().pemString
}

@Suite("kubelet client certificate requests")
struct KubeletClientRequestTests {
    let node = CertificateRequestSubject(commonName: "system:node:worker-1", organizations: ["system:nodes"])
    let usages = ["digital signature", "client auth"]

    @Test("a node's request is valid with or without key encipherment")
    func validNodeRequest() {
        #expect(KubeletClientRequest.validationError(node, usages: usages) == nil)
        #expect(KubeletClientRequest.validationError(node, usages: ["key encipherment"] + usages) == nil)
    }

    @Test("the signer refuses other groups, other names, alternative names and other usages in upstream's words")
    func refusals() {
        var other = node
        other.organizations = ["system:nodes", "system:masters"]
        #expect(KubeletClientRequest.validationError(other, usages: usages) == "subject organization is not system:nodes")
        other.organizations = []
        #expect(KubeletClientRequest.validationError(other, usages: usages) == "subject organization is not system:nodes")
        other = node
        other.commonName = "kyvern-admin"
        #expect(KubeletClientRequest.validationError(other, usages: usages) == "subject common name does not begin with system:node:")
        other.commonName = "system:node:"
        #expect(KubeletClientRequest.validationError(other, usages: usages) == "subject common name does not begin with system:node:")
        other = node
        other.alternativeNameKinds = ["IP"]
        #expect(KubeletClientRequest.validationError(other, usages: usages) == "IP subjectAltNames are not allowed")
        other.alternativeNameKinds = ["IP", "DNS"]
        #expect(KubeletClientRequest.validationError(other, usages: usages) == "DNS subjectAltNames are not allowed")
        #expect(KubeletClientRequest.validationError(node, usages: ["digital signature", "client auth", "server auth"])
                == "usages did not match [client auth digital signature key encipherment]")
        #expect(KubeletClientRequest.validationError(node, usages: ["client auth"])
                == "usages did not match [client auth digital signature key encipherment]")
    }

    @Test("a bootstrapper's request is checked against nodeclient; a node's own renewal first against selfnodeclient")
    func permissions() {
        #expect(KubeletClientRequest.permissions(for: node, usages: usages, requester: "system:bootstrap:kyvern") == [.nodeClient])
        #expect(KubeletClientRequest.permissions(for: node, usages: usages, requester: "system:node:worker-1")
                == [.selfNodeClient, .nodeClient])
        var admin = node
        admin.organizations = ["system:masters"]
        #expect(KubeletClientRequest.permissions(for: admin, usages: usages, requester: "system:bootstrap:kyvern").isEmpty)
        #expect(KubeletClientRequest.Permission.nodeClient.approvalMessage
                == "Auto approving kubelet client certificate after SubjectAccessReview.")
    }

    @Test("the subject is read from the PEM request, alternative names included")
    func parsesSubject() throws {
        let plain = try #require(CertificateRequestSubject(pem: certificateRequestPEM(
            commonName: "system:node:worker-1", organizations: ["system:nodes"])))
        #expect(plain == node)
        let named = try #require(CertificateRequestSubject(pem: certificateRequestPEM(
            commonName: "system:node:worker-1", organizations: ["system:nodes"], dnsNames: ["evil.example"])))
        #expect(named.alternativeNameKinds == ["DNS"])
        #expect(CertificateRequestSubject(pem: "not a request") == nil)
    }
}

@Suite("csrapproving")
struct CertificateApprovingControllerTests {
    let client = FakeClient()

    func csr(_ name: String, commonName: String, organizations: [String] = ["system:nodes"],
             signer: String = "kubernetes.io/kube-apiserver-client-kubelet", requester: String = "system:bootstrap:kyvern",
             groups: [String] = ["system:bootstrappers", "system:authenticated"]) throws -> JSONValue {
        let pem = try certificateRequestPEM(commonName: commonName, organizations: organizations)
        return ["apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": ["name": .string(name)],
                "spec": ["request": .string(Data(pem.utf8).base64EncodedString()), "signerName": .string(signer),
                         "usages": ["digital signature", "client auth"], "username": .string(requester),
                         "groups": .array(groups.map { .string($0) })]]
    }

    /// Answers SubjectAccessReviews: allowed for exactly `allowed` subresources; records the reviews.
    func answerReviews(allowing allowed: Set<String>) {
        client.prependReactor(verb: "create", resource: "subjectaccessreviews") { action in
            var review = action.body ?? [:]
            let subresource = review[path: ["spec", "resourceAttributes", "subresource"]]?.stringValue ?? ""
            review["status"] = ["allowed": .bool(allowed.contains(subresource))]
            return review
        }
        client.prependReactor(verb: "update", resource: "certificatesigningrequests/approval") { $0.body }
    }

    func run(_ object: JSONValue) async throws {
        let controller = CertificateApprovingController(client: client, requests: StaticCache(objects: [object]),
                                                        logger: Logger(label: "test"))
        try await controller.reconcile(ObjectKey(namespace: nil, name: object.name ?? ""))
    }

    var approvals: [JSONValue] {
        client.actions.filter { $0.verb == "update" && $0.subresource == "approval" }.compactMap(\.body)
    }

    var reviews: [JSONValue] {
        client.actions.filter { $0.verb == "create" && $0.resource == "subjectaccessreviews" }.compactMap(\.body)
    }

    @Test("a bootstrapper allowed nodeclient gets its node request approved, in upstream's words")
    func approvesBootstrap() async throws {
        answerReviews(allowing: ["nodeclient"])
        try await run(try csr("node-csr-a", commonName: "system:node:worker-1"))
        let review = try #require(reviews.first)
        #expect(review[path: ["spec", "user"]] == "system:bootstrap:kyvern")
        #expect(review[path: ["spec", "groups"]] == ["system:bootstrappers", "system:authenticated"])
        #expect(review[path: ["spec", "resourceAttributes"]] == ["group": "certificates.k8s.io", "resource": "certificatesigningrequests",
                                                                  "subresource": "nodeclient", "verb": "create"])
        let approved = try #require(approvals.first)
        let condition = try #require(approved[path: ["status", "conditions"]]?.arrayValue?.first)
        #expect(condition["type"] == "Approved" && condition["status"] == "True" && condition["reason"] == "AutoApproved")
        #expect(condition["message"] == "Auto approving kubelet client certificate after SubjectAccessReview.")
    }

    @Test("a node renewing its own certificate is approved through selfnodeclient")
    func approvesRenewal() async throws {
        answerReviews(allowing: ["selfnodeclient"])
        try await run(try csr("node-csr-b", commonName: "system:node:worker-1", requester: "system:node:worker-1",
                              groups: ["system:nodes", "system:authenticated"]))
        #expect(reviews.count == 1)
        let condition = try #require(approvals.first?[path: ["status", "conditions"]]?.arrayValue?.first)
        #expect(condition["message"] == "Auto approving self kubelet client certificate after SubjectAccessReview.")
    }

    @Test("no approval when the review says no, for a non-node subject, for another signer, or when already decided")
    func leavesAlone() async throws {
        answerReviews(allowing: [])
        try await run(try csr("denied-by-rbac", commonName: "system:node:worker-1"))
        #expect(reviews.count == 1)
        #expect(approvals.isEmpty)

        client.clearActions()
        answerReviews(allowing: ["nodeclient", "selfnodeclient"])
        try await run(try csr("admin", commonName: "kyvern-admin", organizations: ["system:masters"]))
        try await run(try csr("other-signer", commonName: "system:node:worker-1", signer: "kubernetes.io/kube-apiserver-client"))
        var decided = try csr("decided", commonName: "system:node:worker-1")
        decided[path: ["status", "conditions"]] = [["type": "Denied", "status": "True", "reason": "ByHand"]]
        try await run(decided)
        #expect(reviews.isEmpty)
        #expect(approvals.isEmpty)
    }
}
