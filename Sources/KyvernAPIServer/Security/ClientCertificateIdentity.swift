import NIOSSL
import SwiftASN1
import X509

/// The user a verified TLS client certificate names: CN is the user, each O a group (upstream's
/// x509 authenticator). TLS verified the chain to the cluster CA before the request arrived.
enum ClientCertificateIdentity {
    /// The connection's verified client identity, set for the requests of that connection.
    @TaskLocal static var current: UserInfo?

    /// The identity in a peer certificate, or nil when it has no usable CN or has expired.
    static func user(of certificate: NIOSSLCertificate) -> UserInfo? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        var name = ""
        var groups: [String] = []
        for rdn in parsed.subject {
            for attribute in rdn {
                let value = String(describing: attribute.value)
                switch attribute.type {
                case .RDNAttributeType.commonName: name = value
                case .RDNAttributeType.organizationName: groups.append(value)
                default: continue
                }
            }
        }
        guard !name.isEmpty else { return nil }
        if !groups.contains("system:authenticated") { groups.append("system:authenticated") }
        return UserInfo(name: name, groups: groups)
    }
}
