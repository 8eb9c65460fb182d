import Crypto
import SwiftASN1
public import Foundation
import X509

/// A node's client certificate for the API (CN `system:node:<name>`, O `system:nodes`) and its key,
/// kept as `<dir>/kubelet-client.key` and `<dir>/kubelet-client.crt`, as upstream's kubelet keeps
/// its `kubelet-client-current.pem`, so a restarted agent reuses it instead of bootstrapping again.
public struct NodeClientCertificate: Sendable, Hashable {
    public var certificatePEM: String
    public var privateKeyPEM: String

    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// The user a node's certificate names.
    public static func userName(nodeName: String) -> String { "system:node:\(nodeName)" }

    /// A fresh P-256 key and a PEM PKCS#10 request for `nodeName`'s client certificate.
    public static func makeRequest(nodeName: String) throws -> (requestPEM: String, privateKeyPEM: String) {
        try makeRequest(commonName: userName(nodeName: nodeName), organization: "system:nodes")
    }

    /// A fresh P-256 key and a PEM PKCS#10 request for the user `commonName` in group `organization`.
    public static func makeRequest(commonName: String, organization: String) throws -> (requestPEM: String, privateKeyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName(organization)
            CommonName(commonName)
        }
        let request = try CertificateSigningRequest(version: .v1, subject: subject, privateKey: .init(key),
                                                    attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        return (try request.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// The certificate's validity window and subject, or nil when it does not parse.
    public func details() -> (notBefore: Date, notAfter: Date, commonName: String)? {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM) else { return nil }
        var commonName = ""
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                commonName = String(describing: attribute.value)
            }
        }
        return (certificate.notValidBefore, certificate.notValidAfter, commonName)
    }

    /// Whether it still serves `nodeName` at `now`: it parses, names that node, the key matches, and
    /// less than 80% of its lifetime has passed (upstream's rotation point, roughly), so a restart
    /// close to expiry fetches a new one.
    public func isUsable(nodeName: String, now: Date = Date()) -> Bool {
        isUsable(commonName: Self.userName(nodeName: nodeName), now: now)
    }

    /// Whether it still serves the user `commonName` at `now` (see ``isUsable(nodeName:now:)``).
    public func isUsable(commonName: String, now: Date = Date()) -> Bool {
        guard let details = details(), details.commonName == commonName,
              let certificate = try? Certificate(pemEncoded: certificatePEM),
              let key = try? P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM),
              certificate.publicKey == Certificate.PublicKey(key.publicKey) else { return false }
        let rotateAt = details.notBefore.addingTimeInterval(details.notAfter.timeIntervalSince(details.notBefore) * 0.8)
        return now >= details.notBefore && now < rotateAt
    }

    // MARK: files

    static let keyFile = "kubelet-client.key"
    static let certificateFile = "kubelet-client.crt"

    /// The pair stored in `directory`, or nil when either file is missing.
    public static func load(directory: String) -> NodeClientCertificate? {
        load(directory: directory, keyFile: keyFile, certificateFile: certificateFile)
    }

    /// The pair stored in `directory` under these file names, or nil when either is missing.
    public static func load(directory: String, keyFile: String, certificateFile: String) -> NodeClientCertificate? {
        let base = URL(fileURLWithPath: directory)
        guard let key = try? String(contentsOf: base.appendingPathComponent(keyFile), encoding: .utf8),
              let certificate = try? String(contentsOf: base.appendingPathComponent(certificateFile), encoding: .utf8)
        else { return nil }
        return NodeClientCertificate(certificatePEM: certificate, privateKeyPEM: key)
    }

    /// Writes the pair into `directory` (created 0700), the key 0600, each file replaced atomically;
    /// the key first, so a certificate on disk always has its key beside it.
    public func store(directory: String) throws {
        try store(directory: directory, keyFile: Self.keyFile, certificateFile: Self.certificateFile)
    }

    /// Writes the pair into `directory` under these file names (see ``store(directory:)``).
    public func store(directory: String, keyFile: String, certificateFile: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                    attributes: [.posixPermissions: 0o700])
        for (name, text, mode) in [(keyFile, privateKeyPEM, 0o600), (certificateFile, certificatePEM, 0o644)] {
            // Inside the 0700 directory, so the moment before the mode is set exposes nothing.
            let path = (directory as NSString).appendingPathComponent(name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
    }
}
