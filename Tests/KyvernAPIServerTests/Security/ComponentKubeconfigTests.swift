import Foundation
import KyvernAPIServer
import Logging
import SwiftASN1
import Testing
import X509

/// The kubeconfigs the server writes for its own node components: each names its own user by a
/// certificate from the cluster CA (CN the user, O the groups), not the admin's.
@Suite("component kubeconfigs")
struct ComponentKubeconfigTests {
    func field(_ name: String, in text: String) -> String? {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix(name + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: .init(charactersIn: "\"")) }
    }

    @Test("the node agent's kubeconfig carries a certificate for system:node:<name> in system:nodes, mode 0600")
    func nodeAgentIdentity() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/kyvern-component-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = try ClusterPKI.loadOrCreate(directory: directory + "/pki", hostnames: [], ipAddresses: [],
                                              logger: Logger(label: "test"))
        let path = try KubeconfigWriter.writeComponent("agent", user: "system:node:worker-1", groups: ["system:nodes"],
                                                       dataDirectory: directory, host: "127.0.0.1", port: 6443, pki: pki)
        #expect(path == directory + "/agent.kubeconfig")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(field("current-context", in: text) == "agent")
        let data = try #require(field("client-certificate-data", in: text).flatMap { Data(base64Encoded: $0) })
        let certificate = try Certificate(pemEncoded: String(decoding: data, as: UTF8.self))
        let attributes = certificate.subject.flatMap { $0 }
        #expect(attributes.filter { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
                == ["system:node:worker-1"])
        #expect(attributes.filter { $0.type == .RDNAttributeType.organizationName }.map { String(describing: $0.value) }
                == ["system:nodes"])
        #expect(certificate.issuer == (try Certificate(pemEncoded: pki.caCertificatePEM)).subject)
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
    }
}
