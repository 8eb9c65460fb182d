import Crypto
package import Foundation
import X509

extension ClusterPKI {
    /// A certificate issued by the cluster CA, with its private key, both PEM.
    public struct IssuedCertificate: Hashable, Sendable {
        /// The certificate, PEM.
        public var certificatePEM: String
        /// Its PKCS#8 private key (P-256), PEM.
        public var privateKeyPEM: String

        public init(certificatePEM: String, privateKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    /// Issues a client certificate for TLS client authentication, signed by the cluster CA.
    ///
    /// As in Kubernetes, the subject's CN is the user name and each O is a group, e.g. a node
    /// agent gets `commonName: "system:node:worker-1", groups: ["system:nodes"]`.
    ///
    /// - Parameters:
    ///   - commonName: the user name.
    ///   - groups: the groups, one `O` attribute each, in order.
    ///   - validityDays: how long the certificate is valid, from now.
    public func issueClientCertificate(
        commonName: String,
        groups: [String],
        validityDays: Int = 365
    ) throws -> IssuedCertificate {
        try self.issueClientCertificate(commonName: commonName, groups: groups, validityDays: validityDays, now: Date())
    }

    /// ``issueClientCertificate(commonName:groups:validityDays:)`` at a given time (for tests).
    package func issueClientCertificate(
        commonName: String,
        groups: [String],
        validityDays: Int,
        now: Date
    ) throws -> IssuedCertificate {
        let subject: DistinguishedName
        do {
            subject = try DistinguishedName {
                for group in groups {
                    OrganizationName(group)
                }
                CommonName(commonName)
            }
        } catch {
            throw ClusterPKIError(.certificateIssuance, "invalid subject for \(commonName): \(error)")
        }
        return try self.issue(
            subject: subject,
            usages: [.clientAuth],
            alternativeNames: PKISubjectAlternativeNames(),
            validityDays: validityDays,
            now: now
        )
    }

    /// Issues a serving certificate signed by the cluster CA (e.g. for a node agent's HTTPS endpoint).
    ///
    /// - Parameters:
    ///   - commonName: the subject's CN.
    ///   - dnsNames: DNS subject alternative names (an entry that is an IP address is taken as one).
    ///   - ipAddresses: IP subject alternative names.
    ///   - validityDays: how long the certificate is valid, from now.
    public func issueServingCertificate(
        commonName: String,
        dnsNames: [String],
        ipAddresses: [String],
        validityDays: Int = 365
    ) throws -> IssuedCertificate {
        let subject: DistinguishedName
        do {
            subject = try DistinguishedName { CommonName(commonName) }
        } catch {
            throw ClusterPKIError(.certificateIssuance, "invalid subject for \(commonName): \(error)")
        }
        return try self.issue(
            subject: subject,
            usages: [.serverAuth],
            alternativeNames: try PKISubjectAlternativeNames(dnsNames: dnsNames, ipAddresses: ipAddresses),
            validityDays: validityDays,
            now: Date()
        )
    }

    private func issue(
        subject: DistinguishedName,
        usages: [ExtendedKeyUsage.Usage],
        alternativeNames: PKISubjectAlternativeNames,
        validityDays: Int,
        now: Date
    ) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let certificate = try PKICertificateIssuer.makeLeaf(
            subject: subject,
            publicKey: Certificate.PublicKey(key.publicKey),
            usages: usages,
            alternativeNames: alternativeNames,
            authority: self.caCertificate,
            authorityKey: self.caPrivateKey,
            now: now,
            validity: TimeInterval(validityDays) * PKICertificateIssuer.day
        )
        return IssuedCertificate(
            certificatePEM: try PKICertificateIssuer.pem(of: certificate),
            privateKeyPEM: Self.normalizedPEM(key.pemRepresentation)
        )
    }
}
