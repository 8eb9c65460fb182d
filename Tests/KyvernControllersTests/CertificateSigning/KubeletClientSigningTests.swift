import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Synchronization
import Testing
@testable import KyvernControllers

/// Records what it was asked to sign and answers with a fixed certificate.
final class RecordingSigner: CertificateSigner {
    let requests = Mutex<[String]>([])

    func signClientCertificate(requestPEM: String, validity: Double) throws -> String {
        requests.withLock { $0.append(requestPEM) }
        return "-----BEGIN CERTIFICATE-----\nsigned\n-----END CERTIFICATE-----\n"
    }
}

@Suite("csrsigning for kube-apiserver-client-kubelet")
struct KubeletClientSigningTests {
    let client = FakeClient()
    let signer = RecordingSigner()

    func approvedCSR(_ name: String, commonName: String, organizations: [String]) throws -> JSONValue {
        let pem = try certificateRequestPEM(commonName: commonName, organizations: organizations)
        return ["apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": ["name": .string(name)],
                "spec": ["request": .string(Data(pem.utf8).base64EncodedString()),
                         "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                         "usages": ["digital signature", "client auth"], "username": "system:bootstrap:kyvern"],
                "status": ["conditions": [["type": "Approved", "status": "True", "reason": "AutoApproved"]]]]
    }

    func sign(_ csr: JSONValue) async throws -> JSONValue {
        _ = try client.seed(.certificateSigningRequests, csr)
        let controller = CertificateSigningController(client: client, requests: StaticCache(objects: [csr]), signer: signer,
                                                      maximumValidity: 365 * 24 * 3600, logger: Logger(label: "test"))
        try await controller.reconcile(ObjectKey(namespace: nil, name: csr.name ?? ""))
        return try #require(client.object(.certificateSigningRequests, name: csr.name ?? ""))
    }

    @Test("an approved node request is signed")
    func signsNodeRequest() async throws {
        let signed = try await sign(try approvedCSR("node", commonName: "system:node:worker-1", organizations: ["system:nodes"]))
        #expect(signer.requests.withLock { $0.count } == 1)
        #expect(signed[path: ["status", "certificate"]]?.stringValue?.isEmpty == false)
    }

    @Test("an approved request for another identity fails validation and is not signed")
    func refusesOtherIdentity() async throws {
        let refused = try await sign(try approvedCSR("admin", commonName: "kyvern-admin", organizations: ["system:masters"]))
        #expect(signer.requests.withLock { $0.isEmpty })
        #expect(refused[path: ["status", "certificate"]] == nil)
        let failed = refused[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"] == "Failed" }
        #expect(failed?["reason"] == "SignerValidationFailure")
        #expect(failed?["message"] == "subject organization is not system:nodes")
    }
}
