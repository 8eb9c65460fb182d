import Crypto
public import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// The certificate and key the agent's HTTPS endpoint presents. The server hands one signed by
/// the cluster CA to an in-process agent; a joining agent makes a self-signed one, which is enough
/// because callers are authenticated by token and the API server does not pin kubelet certificates
/// (upstream's default without `--kubelet-certificate-authority`).
public struct ServingIdentity: Sendable {
    public var certificatePEM: String
    public var privateKeyPEM: String

    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// A fresh self-signed P-256 certificate for `nodeName` and `addresses`, valid for one year.
    public static func selfSigned(nodeName: String, addresses: [String], now: Date = Date()) throws -> ServingIdentity {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("\(nodeName)@kyvern-agent") }
        var names: [GeneralName] = [.dnsName(nodeName), .dnsName("localhost")]
        for address in addresses {
            if let bytes = Self.ipv4Bytes(address) { names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...]))) }
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let pem = PEMDocument(type: "CERTIFICATE", derBytes: serializer.serializedBytes).pemString
        return ServingIdentity(certificatePEM: pem, privateKeyPEM: key.pemRepresentation)
    }

    func tlsConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.applicationProtocols = ["http/1.1"]
        // A closing connection does not wait the default 5 s for an idle peer's close_notify:
        // shutdown closes idle keep-alive connections, and a stopping agent must not linger.
        configuration.shutdownTimeout = .milliseconds(200)
        return configuration
    }

    private static func ipv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".")
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }
}
