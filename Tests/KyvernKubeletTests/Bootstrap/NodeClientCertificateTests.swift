import Crypto
import SwiftASN1
import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
import X509
@testable import KyvernKubelet

@Suite("node client certificate (TLS bootstrap)")
struct NodeClientCertificateTests {
    /// A certificate for the request's key and subject, valid from `from` to `until` (self-signed:
    /// only the agent's local checks look at it here).
    func certificate(for requestPEM: String, keyPEM: String, from: Date, until: Date) throws -> String {
        let request = try CertificateSigningRequest(pemEncoded: requestPEM)
        let key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        let certificate = try Certificate(version: .v3, serialNumber: .init(), publicKey: request.publicKey,
                                          notValidBefore: from, notValidAfter: until, issuer: request.subject,
                                          subject: request.subject, signatureAlgorithm: .ecdsaWithSHA256,
                                          extensions: .init(), issuerPrivateKey: .init(key))
        return try certificate.serializeAsPEM().pemString
    }

    func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "kyvern-node-client-\(UUID().uuidString)"
    }

    @Test("the request names system:node:<name> in system:nodes and verifies")
    func requestSubject() throws {
        let (requestPEM, _) = try NodeClientCertificate.makeRequest(nodeName: "worker-1")
        let request = try CertificateSigningRequest(pemEncoded: requestPEM)
        #expect(request.publicKey.isValidSignature(request.signature, for: request))
        var commonNames: [String] = []
        var organizations: [String] = []
        for rdn in request.subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.commonName { commonNames.append(String(describing: attribute.value)) }
                if attribute.type == .RDNAttributeType.organizationName { organizations.append(String(describing: attribute.value)) }
            }
        }
        #expect(commonNames == ["system:node:worker-1"])
        #expect(organizations == ["system:nodes"])
    }

    @Test("a stored certificate is reused until 80% of its life, only for its own node and key")
    func reuse() throws {
        let (requestPEM, keyPEM) = try NodeClientCertificate.makeRequest(nodeName: "worker-1")
        let now = Date()
        let pem = try certificate(for: requestPEM, keyPEM: keyPEM, from: now.addingTimeInterval(-3600),
                                  until: now.addingTimeInterval(9 * 3600))
        let pair = NodeClientCertificate(certificatePEM: pem, privateKeyPEM: keyPEM)
        #expect(pair.isUsable(nodeName: "worker-1", now: now))
        #expect(!pair.isUsable(nodeName: "worker-2", now: now))
        #expect(!pair.isUsable(nodeName: "worker-1", now: now.addingTimeInterval(7.5 * 3600)))
        let otherKey = try NodeClientCertificate.makeRequest(nodeName: "worker-1").privateKeyPEM
        #expect(!NodeClientCertificate(certificatePEM: pem, privateKeyPEM: otherKey).isUsable(nodeName: "worker-1", now: now))

        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(NodeClientCertificate.load(directory: directory) == nil)
        try pair.store(directory: directory)
        #expect(NodeClientCertificate.load(directory: directory) == pair)
        let keyMode = try FileManager.default.attributesOfItem(atPath: directory + "/kubelet-client.key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)

        let flow = NodeClientBootstrap(nodeName: "worker-1", directory: directory, logger: Logger(label: "test"))
        #expect(flow.stored(now: now) == pair)
        // Near expiry it is no longer reused, but may still authenticate its renewal.
        #expect(flow.stored(now: now.addingTimeInterval(8 * 3600)) == nil)
        #expect(flow.unexpired(now: now.addingTimeInterval(8 * 3600)) == pair)
        #expect(flow.unexpired(now: now.addingTimeInterval(10 * 3600)) == nil)
    }

    @Test("the agent sends a kubelet-client request and takes the certificate once issued")
    func requestRoundTrip() async throws {
        let client = FakeClient()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The controller manager's part: issue on the first read.
        client.prependReactor(verb: "get", resource: "certificatesigningrequests") { action in
            guard var csr = client.object(.certificateSigningRequests, name: action.name ?? "") else { return nil }
            csr[path: ["status", "certificate"]] = .string(Data("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n".utf8)
                .base64EncodedString())
            return csr
        }
        var flow = NodeClientBootstrap(nodeName: "worker-1", directory: directory, logger: Logger(label: "test"))
        flow.pollInterval = .milliseconds(10)
        let issued = try await flow.request(using: client)
        let sent = try #require(client.objects(.certificateSigningRequests).first)
        #expect(sent.name?.hasPrefix("node-csr-") == true)
        #expect(sent[path: ["spec", "signerName"]] == "kubernetes.io/kube-apiserver-client-kubelet")
        #expect(sent[path: ["spec", "usages"]] == ["digital signature", "client auth"])
        #expect(sent[path: ["spec", "expirationSeconds"]] == .int(365 * 24 * 3600))
        #expect(issued.certificatePEM.contains("BEGIN CERTIFICATE"))
        #expect(NodeClientCertificate.load(directory: directory) == issued)
    }

    @Test("a denied request stops the bootstrap with the approver's message")
    func denied() throws {
        let csr: JSONValue = ["metadata": ["name": "node-csr-x"],
                              "status": ["conditions": [["type": "Denied", "status": "True", "message": "not this node"]]]]
        #expect(throws: NodeClientBootstrapError.self) { try NodeClientBootstrap.outcome(of: csr) }
        #expect(try NodeClientBootstrap.outcome(of: ["metadata": ["name": "node-csr-y"]]) == .pending)
    }
}
