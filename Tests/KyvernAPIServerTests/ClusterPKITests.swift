import Crypto
import Foundation
import KyvernAPIServer
import Logging
import NIOSSL
import SwiftASN1
import Testing
import X509

@Suite("ClusterPKI")
struct ClusterPKITests {
    let logger = Logger(label: "kyvern.test.pki")

    // MARK: - Creation and reuse

    @Test("first start creates every file with private modes")
    func createsFiles() throws {
        try withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)

            for name in ["ca.crt", "ca.key", "server.crt", "server.key", "admin.token"] {
                #expect(FileManager.default.fileExists(atPath: directory + "/" + name), "\(name) missing")
            }
            #expect(try mode(of: directory + "/ca.key") == 0o600)
            #expect(try mode(of: directory + "/server.key") == 0o600)
            #expect(try mode(of: directory + "/admin.token") == 0o600)
            #expect(try String(contentsOfFile: directory + "/ca.crt", encoding: .utf8) == pki.caCertificatePEM)
            #expect(try String(contentsOfFile: directory + "/server.crt", encoding: .utf8) == pki.servingCertificatePEM)
            #expect(try String(contentsOfFile: directory + "/server.key", encoding: .utf8) == pki.servingPrivateKeyPEM)
            #expect(pki.caCertificatePath == directory + "/ca.crt")

            #expect(pki.adminToken.count == 64)
            #expect(pki.adminToken.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(try String(contentsOfFile: directory + "/admin.token", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines) == pki.adminToken)
        }
    }

    @Test("a second start reuses the CA, the token and the serving certificate")
    func reloadReuses() throws {
        try withTemporaryDirectory { directory in
            let first = try ClusterPKI.loadOrCreate(directory: directory, hostnames: ["api.test"], ipAddresses: ["192.0.2.7"], logger: logger)
            let second = try ClusterPKI.loadOrCreate(directory: directory, hostnames: ["api.test"], ipAddresses: ["192.0.2.7"], logger: logger)

            #expect(second.caCertificatePEM == first.caCertificatePEM)
            #expect(second.caCertificate == first.caCertificate)
            #expect(second.adminToken == first.adminToken)
            #expect(second.servingCertificatePEM == first.servingCertificatePEM)
            #expect(second.servingPrivateKeyPEM == first.servingPrivateKeyPEM)

            // Fewer names than the certificate has is fine too: it is a superset.
            let third = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            #expect(third.servingCertificatePEM == first.servingCertificatePEM)
        }
    }

    @Test("a new SAN re-issues the serving certificate with the same CA and token")
    func sanChangeReissues() async throws {
        try await withTemporaryDirectory { directory in
            let first = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            let second = try ClusterPKI.loadOrCreate(
                directory: directory,
                hostnames: ["Node-1.Example.test"],
                ipAddresses: ["192.0.2.10", "2001:db8::1"],
                logger: logger
            )

            #expect(second.servingCertificatePEM != first.servingCertificatePEM)
            #expect(second.servingPrivateKeyPEM != first.servingPrivateKeyPEM)
            #expect(second.caCertificatePEM == first.caCertificatePEM)
            #expect(second.adminToken == first.adminToken)

            let names = try alternativeNames(of: second.servingCertificate)
            #expect(names.dns.contains("node-1.example.test"))
            #expect(names.ip.contains([192, 0, 2, 10]))
            #expect(names.ip.contains([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]))
            #expect(try await verifies(second.servingCertificate, against: second.caCertificate, hostname: "node-1.example.test"))
            #expect(try await verifies(second.servingCertificate, against: second.caCertificate, ip: "2001:db8::1"))

            // The same names in another spelling are already covered.
            let third = try ClusterPKI.loadOrCreate(
                directory: directory,
                hostnames: ["node-1.example.test", "192.0.2.10"],
                ipAddresses: ["2001:0db8:0:0:0:0:0:1"],
                logger: logger
            )
            #expect(third.servingCertificatePEM == second.servingCertificatePEM)
        }
    }

    @Test("a serving certificate expiring within 30 days is re-issued")
    func expiringCertificateReissues() throws {
        try withTemporaryDirectory { directory in
            let first = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            let in300Days = Date().addingTimeInterval(300 * 86_400)
            let stillGood = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], now: in300Days, logger: logger)
            #expect(stillGood.servingCertificatePEM == first.servingCertificatePEM)

            let in340Days = Date().addingTimeInterval(340 * 86_400)
            let renewed = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], now: in340Days, logger: logger)
            #expect(renewed.servingCertificatePEM != first.servingCertificatePEM)
            #expect(renewed.caCertificatePEM == first.caCertificatePEM)
            #expect(renewed.servingCertificate.notValidAfter > in340Days.addingTimeInterval(364 * 86_400))
        }
    }

    @Test("a missing or foreign serving key, or a new CA, re-issues the serving certificate")
    func brokenServingPairReissues() throws {
        try withTemporaryDirectory { directory in
            let first = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)

            try FileManager.default.removeItem(atPath: directory + "/server.key")
            let second = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            #expect(second.servingCertificatePEM != first.servingCertificatePEM)

            try P256.Signing.PrivateKey().pemRepresentation.write(toFile: directory + "/server.key", atomically: true, encoding: .utf8)
            let third = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            #expect(third.servingCertificatePEM != second.servingCertificatePEM)

            try FileManager.default.removeItem(atPath: directory + "/ca.crt")
            try FileManager.default.removeItem(atPath: directory + "/ca.key")
            let fourth = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            #expect(fourth.caCertificatePEM != third.caCertificatePEM)
            #expect(fourth.adminToken == first.adminToken)
            #expect(fourth.servingCertificate.issuer == fourth.caCertificate.subject)
            #expect(fourth.caCertificate.publicKey.isValidSignature(fourth.servingCertificate.signature, for: fourth.servingCertificate))
        }
    }

    @Test("ca.crt without ca.key is an error, never a silent new CA")
    func certificateWithoutKeyFails() throws {
        try withTemporaryDirectory { directory in
            _ = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            try FileManager.default.removeItem(atPath: directory + "/ca.key")
            let error = #expect(throws: ClusterPKIError.self) {
                try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            }
            #expect(error?.code == .incompleteAuthority)
        }
    }

    @Test("loose permissions on private files are tightened on load")
    func permissionsTightened() throws {
        try withTemporaryDirectory { directory in
            _ = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            for name in ["ca.key", "server.key", "admin.token"] {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/" + name)
            }
            _ = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            for name in ["ca.key", "server.key", "admin.token"] {
                #expect(try mode(of: directory + "/" + name) == 0o600, "\(name)")
            }
        }
    }

    @Test("a malformed IP address is rejected")
    func invalidIPAddress() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: ClusterPKIError.self) {
                try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: ["300.1.2.3"], logger: logger)
            }
            #expect(error?.code == .invalidIPAddress)
        }
    }

    // MARK: - Certificate contents

    @Test("the CA is a self-signed P-256 CA named kyvern-ca, valid 10 years")
    func authorityContents() throws {
        try withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            let ca = pki.caCertificate

            #expect(commonNames(in: ca.subject) == ["kyvern-ca"])
            #expect(ca.issuer == ca.subject)
            #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
            #expect(P256.Signing.PublicKey(ca.publicKey) != nil)
            #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
            #expect(ca.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
            let usage = try #require(try ca.extensions.keyUsage)
            #expect(usage.keyCertSign && usage.cRLSign)
            let years = ca.notValidAfter.timeIntervalSince(ca.notValidBefore) / (365 * 86_400)
            #expect(years > 9.9 && years < 10.1)
        }
    }

    @Test("the serving certificate carries the default and requested SANs and serverAuth")
    func servingContents() throws {
        try withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(
                directory: directory,
                hostnames: ["kyvern.example.test"],
                ipAddresses: ["192.0.2.1"],
                logger: logger
            )
            let certificate = pki.servingCertificate

            #expect(commonNames(in: certificate.subject) == ["kyvern-apiserver"])
            #expect(certificate.issuer == pki.caCertificate.subject)
            #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
            let usages = try #require(try certificate.extensions.extendedKeyUsage)
            #expect(Array(usages) == [.serverAuth])

            let names = try alternativeNames(of: certificate)
            for expected in [
                "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local", "kyvern.example.test",
            ] {
                #expect(names.dns.contains(expected), "missing \(expected)")
            }
            let hostName = ProcessInfo.processInfo.hostName.lowercased()
            #expect(names.dns.contains(hostName) || names.dns.contains(where: { hostName.hasPrefix($0 + ".") }))
            #expect(names.ip.contains([127, 0, 0, 1]))
            #expect(names.ip.contains([UInt8](repeating: 0, count: 15) + [1]))
            #expect(names.ip.contains([192, 0, 2, 1]))

            let days = certificate.notValidAfter.timeIntervalSince(Date()) / 86_400
            #expect(days > 364 && days < 366)
        }
    }

    @Test("the serving certificate verifies against the CA for its names, and not against another CA")
    func servingVerifies() async throws {
        try await withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            for hostname in ["localhost", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"] {
                #expect(try await verifies(pki.servingCertificate, against: pki.caCertificate, hostname: hostname), "\(hostname)")
            }
            #expect(try await verifies(pki.servingCertificate, against: pki.caCertificate, ip: "127.0.0.1"))
            #expect(try await verifies(pki.servingCertificate, against: pki.caCertificate, ip: "::1"))
            #expect(try await !verifies(pki.servingCertificate, against: pki.caCertificate, hostname: "example.com"))

            try await withTemporaryDirectory { other in
                let stranger = try ClusterPKI.loadOrCreate(directory: other, hostnames: [], ipAddresses: [], logger: logger)
                #expect(try await !verifies(pki.servingCertificate, against: stranger.caCertificate, hostname: "localhost"))
            }
        }
    }

    @Test("client certificates carry CN, one O per group and clientAuth, and chain to the CA")
    func clientCertificate() async throws {
        try await withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            let issued = try pki.issueClientCertificate(commonName: "system:node:worker-1", groups: ["system:nodes", "kyvern:agents"])
            let certificate = try Certificate(pemEncoded: issued.certificatePEM)
            let key = try P256.Signing.PrivateKey(pemRepresentation: issued.privateKeyPEM)

            #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
            #expect(commonNames(in: certificate.subject) == ["system:node:worker-1"])
            #expect(organizations(in: certificate.subject) == ["system:nodes", "kyvern:agents"])
            #expect(Array(try #require(try certificate.extensions.extendedKeyUsage)) == [.clientAuth])
            #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
            #expect(try await verifies(certificate, against: pki.caCertificate))
        }
    }

    // MARK: - TLS

    @Test("the server TLS configuration offers h2 and http/1.1 and builds a context")
    func serverTLSConfiguration() throws {
        try withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            let server = try pki.makeServerTLSConfiguration()
            #expect(server.applicationProtocols == ["h2", "http/1.1"])
            #expect(server.certificateChain.count == 1)
            _ = try NIOSSLContext(configuration: server)

            let mutual = try pki.makeServerTLSConfiguration(verifyClientCertificates: true)
            _ = try NIOSSLContext(configuration: mutual)

            let client = try pki.makeClientTLSConfiguration(
                clientCertificate: try pki.issueClientCertificate(commonName: "agent", groups: ["system:nodes"])
            )
            #expect(client.certificateVerification == .fullVerification)
            _ = try NIOSSLContext(configuration: client)
        }
    }

    // MARK: - Bearer tokens

    @Test("the admin token authenticates as kyvern-admin; anything else does not")
    func bearerTokens() throws {
        let token = String(repeating: "ab", count: 32)
        let authenticator = BearerTokenAuthenticator(adminToken: token)
        let admin = UserInfo(name: "kyvern-admin", groups: ["system:masters", "system:authenticated"])

        #expect(authenticator.authenticate(authorizationHeader: "Bearer \(token)") == admin)
        #expect(authenticator.authenticate(authorizationHeader: "bearer \(token)") == admin)
        #expect(authenticator.authenticate(authorizationHeader: "BEARER   \(token)  ") == admin)

        #expect(authenticator.authenticate(authorizationHeader: nil) == nil)
        #expect(authenticator.authenticate(authorizationHeader: "") == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Bearer") == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Bearer ") == nil)
        #expect(authenticator.authenticate(authorizationHeader: token) == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Basic \(token)") == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Bearer\(token)") == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Bearer \(token)x") == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Bearer \(token.dropLast())") == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Bearer \(token.uppercased())") == nil)
        #expect(authenticator.authenticate(authorizationHeader: "Bearer \(token) extra") == nil)

        let table = BearerTokenAuthenticator(tokens: [
            "t1": UserInfo(name: "alice", groups: ["dev"]),
            "": UserInfo(name: "nobody", groups: []),
        ])
        #expect(table.authenticate(authorizationHeader: "Bearer t1")?.name == "alice")
        #expect(table.authenticate(authorizationHeader: "Bearer t2") == nil)
        #expect(BearerTokenAuthenticator(adminToken: "").authenticate(authorizationHeader: "Bearer ") == nil)
    }

    @Test("the generated admin token authenticates")
    func generatedTokenAuthenticates() throws {
        try withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(directory: directory, hostnames: [], ipAddresses: [], logger: logger)
            let authenticator = BearerTokenAuthenticator(adminToken: pki.adminToken)
            #expect(authenticator.authenticate(authorizationHeader: "Bearer \(pki.adminToken)") == .clusterAdmin)
        }
    }

    // MARK: - Kubeconfig

    @Test("the kubeconfig names the server, the CA and the token, and is rewritten each time")
    func kubeconfig() throws {
        try withTemporaryDirectory { directory in
            let pki = try ClusterPKI.loadOrCreate(directory: directory + "/pki", hostnames: [], ipAddresses: [], logger: logger)
            let path = try KubeconfigWriter.write(dataDirectory: directory, host: "127.0.0.1", port: 6443, pki: pki)
            #expect(path == directory + "/kubeconfig.yaml")
            #expect(try mode(of: path) == 0o600)

            let text = try String(contentsOfFile: path, encoding: .utf8)
            let caData = Data(pki.caCertificatePEM.utf8).base64EncodedString()
            #expect(text.contains("apiVersion: v1\nkind: Config\n"))
            #expect(text.contains("- name: \"kyvern\"\n  cluster:\n    server: \"https://127.0.0.1:6443\"\n"))
            #expect(text.contains("    certificate-authority-data: \"\(caData)\"\n"))
            #expect(text.contains("- name: \"admin\"\n  user:\n    token: \"\(pki.adminToken)\"\n"))
            #expect(text.contains("- name: \"kyvern\"\n  context:\n    cluster: \"kyvern\"\n    user: \"admin\"\n"))
            #expect(text.contains("\ncurrent-context: \"kyvern\"\n"))
            let decoded = try #require(Data(base64Encoded: caData))
            #expect(String(decoding: decoded, as: UTF8.self) == pki.caCertificatePEM)

            try KubeconfigWriter.write(dataDirectory: directory, host: "::", port: 7443, pki: pki)
            let rewritten = try String(contentsOfFile: path, encoding: .utf8)
            #expect(rewritten.contains("server: \"https://[::1]:7443\""))
            #expect(!rewritten.contains("6443"))
        }
    }

    @Test("server URLs: loopback for unspecified addresses, brackets for IPv6")
    func serverURLs() {
        #expect(KubeconfigWriter.serverURL(host: "0.0.0.0", port: 6443) == "https://127.0.0.1:6443")
        #expect(KubeconfigWriter.serverURL(host: "", port: 6443) == "https://127.0.0.1:6443")
        #expect(KubeconfigWriter.serverURL(host: "::", port: 6443) == "https://[::1]:6443")
        #expect(KubeconfigWriter.serverURL(host: "[fd00::5]", port: 1) == "https://[fd00::5]:1")
        #expect(KubeconfigWriter.serverURL(host: "node-1", port: 443) == "https://node-1:443")
    }
}

// MARK: - Helpers

private func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.path + "/kyvern-pki-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

private func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.path + "/kyvern-pki-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}

private func mode(of path: String) throws -> Int {
    let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
    return permissions?.intValue ?? -1
}

private func attributes(_ type: ASN1ObjectIdentifier, in name: DistinguishedName) -> [String] {
    name.flatMap { $0 }.filter { $0.type == type }.compactMap { String($0.value) }
}

private func commonNames(in name: DistinguishedName) -> [String] {
    attributes(.RDNAttributeType.commonName, in: name)
}

private func organizations(in name: DistinguishedName) -> [String] {
    attributes(.RDNAttributeType.organizationName, in: name)
}

private func alternativeNames(of certificate: Certificate) throws -> (dns: [String], ip: [[UInt8]]) {
    var dns: [String] = []
    var ip: [[UInt8]] = []
    for name in try certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames() {
        switch name {
        case .dnsName(let value): dns.append(value)
        case .ipAddress(let value): ip.append(Array(value.bytes))
        default: break
        }
    }
    return (dns, ip)
}

/// Runs swift-certificates' RFC 5280 verifier (plus server identity when a name or IP is given).
private func verifies(
    _ certificate: Certificate,
    against authority: Certificate,
    hostname: String? = nil,
    ip: String? = nil
) async throws -> Bool {
    var verifier = Verifier(rootCertificates: CertificateStore([authority])) {
        RFC5280Policy()
        if hostname != nil || ip != nil {
            ServerIdentityPolicy(serverHostname: hostname, serverIP: ip)
        }
    }
    switch await verifier.validate(leaf: certificate, intermediates: CertificateStore()) {
    case .validCertificate(let chain):
        return Array(chain).last == authority
    case .couldNotValidate:
        return false
    }
}
