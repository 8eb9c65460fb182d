import Crypto
import Foundation
import SwiftASN1
import X509

/// Builds and signs the cluster's certificates. Pure: the caller supplies keys and the time.
enum PKICertificateIssuer {
    /// Backdating of `notValidBefore`, so that peers whose clocks lag a little still accept a new certificate.
    static let clockSkewAllowance: TimeInterval = 5 * 60
    static let day: TimeInterval = 24 * 60 * 60

    /// A self-signed CA: basicConstraints CA (critical), keyUsage keyCertSign + cRLSign (critical).
    static func makeAuthority(
        commonName: String,
        key: P256.Signing.PrivateKey,
        now: Date,
        validity: TimeInterval
    ) throws -> Certificate {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let name = try DistinguishedName { CommonName(commonName) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
        }
        return try Self.sign(
            publicKey: publicKey,
            subject: name,
            extensions: extensions,
            issuer: name,
            issuerKey: key,
            now: now,
            validity: validity
        )
    }

    /// A leaf certificate signed by `authority`.
    ///
    /// - Parameters:
    ///   - subject: the subject name (CN, and O per group for client certificates).
    ///   - usages: the extended key usages (serverAuth, clientAuth).
    ///   - alternativeNames: SANs; omitted from the certificate when empty.
    static func makeLeaf(
        subject: DistinguishedName,
        publicKey: Certificate.PublicKey,
        usages: [ExtendedKeyUsage.Usage],
        alternativeNames: PKISubjectAlternativeNames,
        authority: Certificate,
        authorityKey: P256.Signing.PrivateKey,
        now: Date,
        validity: TimeInterval
    ) throws -> Certificate {
        let authorityKeyIdentifier = try authority.extensions.subjectKeyIdentifier?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: authority.publicKey).keyIdentifier
        let hasAlternativeNames = !alternativeNames.dnsNames.isEmpty || !alternativeNames.ipAddresses.isEmpty
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage(usages)
            if hasAlternativeNames {
                alternativeNames.generalNames
            }
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
        }
        return try Self.sign(
            publicKey: publicKey,
            subject: subject,
            extensions: extensions,
            issuer: authority.subject,
            issuerKey: authorityKey,
            now: now,
            validity: validity
        )
    }

    /// Whether `certificate` was signed by `authority` (issuer name and signature).
    static func isIssued(_ certificate: Certificate, by authority: Certificate) -> Bool {
        certificate.issuer == authority.subject
            && authority.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    private static func sign(
        publicKey: Certificate.PublicKey,
        subject: DistinguishedName,
        extensions: Certificate.Extensions,
        issuer: DistinguishedName,
        issuerKey: P256.Signing.PrivateKey,
        now: Date,
        validity: TimeInterval
    ) throws -> Certificate {
        do {
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - Self.clockSkewAllowance,
                notValidAfter: now + validity,
                issuer: issuer,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(issuerKey)
            )
        } catch {
            throw ClusterPKIError(.certificateIssuance, "cannot sign certificate for \(subject): \(error)")
        }
    }

    /// The certificate in PEM form.
    static func pem(of certificate: Certificate) throws -> String {
        do {
            return try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw ClusterPKIError(.certificateIssuance, "cannot encode certificate as PEM: \(error)")
        }
    }
}
