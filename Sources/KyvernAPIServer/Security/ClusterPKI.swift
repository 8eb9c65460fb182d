import Crypto
package import Foundation
public import Logging
public import X509
import SwiftASN1

/// The cluster's credentials: a CA, the API server's serving certificate, and the admin token.
///
/// ``loadOrCreate(directory:hostnames:ipAddresses:logger:)`` creates them on the first start and
/// reuses them afterwards, so kubeconfigs handed out earlier keep working. Files in `directory`:
///
/// | file | content | mode |
/// |---|---|---|
/// | `ca.crt` | self-signed CA "kyvern-ca", P-256, 10 years | 0644 |
/// | `ca.key` | its PKCS#8 private key | 0600 |
/// | `server.crt` | serving certificate "kyvern-apiserver", signed by the CA, 1 year | 0644 |
/// | `server.key` | its PKCS#8 private key | 0600 |
/// | `admin.token` | 32 random bytes, hex | 0600 |
///
/// Only the serving certificate is ever re-issued: when it lacks a requested name or address,
/// expires within 30 days, or no longer matches its key or the CA.
public struct ClusterPKI: Sendable {
    /// File names inside the PKI directory.
    public enum FileName {
        public static let caCertificate = "ca.crt"
        public static let caPrivateKey = "ca.key"
        public static let servingCertificate = "server.crt"
        public static let servingPrivateKey = "server.key"
        public static let adminToken = "admin.token"
    }

    /// Common name of the cluster CA.
    public static let caCommonName = "kyvern-ca"
    /// Common name of the API server's serving certificate.
    public static let servingCommonName = "kyvern-apiserver"

    static let caValidity: TimeInterval = 3650 * PKICertificateIssuer.day
    static let servingValidity: TimeInterval = 365 * PKICertificateIssuer.day
    /// A serving certificate expiring sooner than this is re-issued at start-up.
    static let renewalWindow: TimeInterval = 30 * PKICertificateIssuer.day

    /// The directory the files live in.
    public let directory: String
    /// The CA certificate, PEM. Give it to clients so they can verify the server.
    public let caCertificatePEM: String
    /// The serving certificate, PEM (leaf only; clients already have the CA).
    public let servingCertificatePEM: String
    /// The serving certificate's private key, PKCS#8 PEM.
    public let servingPrivateKeyPEM: String
    /// The admin bearer token (64 hex characters).
    public let adminToken: String
    /// The parsed CA certificate.
    public let caCertificate: Certificate
    /// The parsed serving certificate.
    public let servingCertificate: Certificate
    /// The CA's private key, PKCS#8 PEM. Not public: use ``issueClientCertificate(commonName:groups:validityDays:)``.
    package let caPrivateKeyPEM: String
    let caPrivateKey: P256.Signing.PrivateKey

    /// Path of `ca.crt`, e.g. for `--certificate-authority`.
    public var caCertificatePath: String { PKIFileStore.join(self.directory, FileName.caCertificate) }
    /// Path of `server.crt`.
    public var servingCertificatePath: String { PKIFileStore.join(self.directory, FileName.servingCertificate) }
    /// Path of `server.key`.
    public var servingPrivateKeyPath: String { PKIFileStore.join(self.directory, FileName.servingPrivateKey) }
    /// Path of `admin.token`.
    public var adminTokenPath: String { PKIFileStore.join(self.directory, FileName.adminToken) }

    /// Loads the credentials in `directory`, creating whatever is missing.
    ///
    /// - Parameters:
    ///   - directory: where the PEM and token files live; created with mode 0700 if absent.
    ///   - hostnames: DNS names the serving certificate must carry besides the defaults
    ///     (`localhost`, `kubernetes`, `kubernetes.default`, `kubernetes.default.svc`,
    ///     `kubernetes.default.svc.cluster.local` and this machine's host name). An entry that is an
    ///     IP address is treated as one.
    ///   - ipAddresses: IP addresses it must carry besides `127.0.0.1` and `::1`.
    ///   - logger: receives one line per file created or certificate re-issued.
    /// - Throws: ``ClusterPKIError`` if a file cannot be read, parsed or written, if `ca.crt`
    ///   exists without `ca.key`, or if an address is malformed.
    public static func loadOrCreate(
        directory: String,
        hostnames: [String],
        ipAddresses: [String],
        logger: Logger
    ) throws -> ClusterPKI {
        try Self.loadOrCreate(
            directory: directory,
            hostnames: hostnames,
            ipAddresses: ipAddresses,
            now: Date(),
            logger: logger
        )
    }

    /// ``loadOrCreate(directory:hostnames:ipAddresses:logger:)`` at a given time (for tests).
    package static func loadOrCreate(
        directory: String,
        hostnames: [String],
        ipAddresses: [String],
        now: Date,
        logger: Logger
    ) throws -> ClusterPKI {
        var logger = logger
        logger[metadataKey: "pki.directory"] = "\(directory)"
        try PKIFileStore.ensureDirectory(directory)

        let requested = try Self.requestedServingNames(hostnames: hostnames, ipAddresses: ipAddresses)
        let authority = try Self.loadOrCreateAuthority(directory: directory, now: now, logger: logger)
        let token = try Self.loadOrCreateAdminToken(directory: directory, logger: logger)
        let serving = try Self.loadOrIssueServing(
            directory: directory,
            requested: requested,
            authority: authority,
            now: now,
            logger: logger
        )

        return ClusterPKI(
            directory: directory,
            caCertificatePEM: authority.certificatePEM,
            servingCertificatePEM: serving.certificatePEM,
            servingPrivateKeyPEM: serving.privateKeyPEM,
            adminToken: token,
            caCertificate: authority.certificate,
            servingCertificate: serving.certificate,
            caPrivateKeyPEM: authority.privateKeyPEM,
            caPrivateKey: authority.privateKey
        )
    }

    static func requestedServingNames(
        hostnames: [String],
        ipAddresses: [String]
    ) throws -> PKISubjectAlternativeNames {
        var dnsNames = PKISubjectAlternativeNames.defaultAPIServerDNSNames
        if let hostName = PKISubjectAlternativeNames.localHostName() {
            dnsNames.append(hostName)
        }
        dnsNames += hostnames
        return try PKISubjectAlternativeNames(
            dnsNames: dnsNames,
            ipAddresses: PKISubjectAlternativeNames.defaultAPIServerIPAddresses + ipAddresses
        )
    }
}

// MARK: - Loading and creating each credential

extension ClusterPKI {
    struct KeyPair {
        var certificate: Certificate
        var certificatePEM: String
        var privateKey: P256.Signing.PrivateKey
        var privateKeyPEM: String
    }

    private static func loadOrCreateAuthority(directory: String, now: Date, logger: Logger) throws -> KeyPair {
        let certificatePath = PKIFileStore.join(directory, FileName.caCertificate)
        let keyPath = PKIFileStore.join(directory, FileName.caPrivateKey)
        let certificateText = try PKIFileStore.readText(certificatePath)
        let keyText = try PKIFileStore.readText(keyPath)

        switch (certificateText, keyText) {
        case (nil, nil):
            let key = P256.Signing.PrivateKey()
            let keyPEM = Self.normalizedPEM(key.pemRepresentation)
            let certificate = try PKICertificateIssuer.makeAuthority(
                commonName: Self.caCommonName,
                key: key,
                now: now,
                validity: Self.caValidity
            )
            let certificatePEM = try PKICertificateIssuer.pem(of: certificate)
            // Key first: a crash in between leaves a key from which the certificate is re-made.
            try PKIFileStore.writeText(keyPEM, to: keyPath, mode: PKIFileStore.privateMode)
            try PKIFileStore.writeText(certificatePEM, to: certificatePath, mode: PKIFileStore.publicMode)
            logger.info(
                "generated cluster CA",
                metadata: ["pki.ca.notAfter": "\(certificate.notValidAfter)"]
            )
            return KeyPair(certificate: certificate, certificatePEM: certificatePEM, privateKey: key, privateKeyPEM: keyPEM)

        case (nil, let keyText?):
            let key = try Self.parsePrivateKey(keyText, path: keyPath)
            try Self.restrictPermissions(keyPath, logger: logger)
            let certificate = try PKICertificateIssuer.makeAuthority(
                commonName: Self.caCommonName,
                key: key,
                now: now,
                validity: Self.caValidity
            )
            let certificatePEM = try PKICertificateIssuer.pem(of: certificate)
            try PKIFileStore.writeText(certificatePEM, to: certificatePath, mode: PKIFileStore.publicMode)
            logger.warning("\(FileName.caCertificate) was missing; re-made the CA certificate from the existing \(FileName.caPrivateKey)")
            return KeyPair(
                certificate: certificate,
                certificatePEM: certificatePEM,
                privateKey: key,
                privateKeyPEM: Self.normalizedPEM(keyText)
            )

        case (_?, nil):
            throw ClusterPKIError(
                .incompleteAuthority,
                "\(certificatePath) exists but \(keyPath) does not; restore the key, or remove \(FileName.caCertificate) to create a new CA (invalidating existing kubeconfigs)"
            )

        case (let certificateText?, let keyText?):
            let certificate = try Self.parseCertificate(certificateText, path: certificatePath)
            let key = try Self.parsePrivateKey(keyText, path: keyPath)
            guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
                throw ClusterPKIError(.invalidFile, "\(keyPath) is not the private key of \(certificatePath)")
            }
            try Self.restrictPermissions(keyPath, logger: logger)
            if certificate.notValidAfter.timeIntervalSince(now) < Self.renewalWindow {
                logger.warning(
                    "the cluster CA expires soon or has expired; remove \(FileName.caCertificate) and \(FileName.caPrivateKey) to create a new one",
                    metadata: ["pki.ca.notAfter": "\(certificate.notValidAfter)"]
                )
            }
            return KeyPair(
                certificate: certificate,
                certificatePEM: Self.normalizedPEM(certificateText),
                privateKey: key,
                privateKeyPEM: Self.normalizedPEM(keyText)
            )
        }
    }

    private static func loadOrCreateAdminToken(directory: String, logger: Logger) throws -> String {
        let path = PKIFileStore.join(directory, FileName.adminToken)
        if let text = try PKIFileStore.readText(path) {
            let token = text.filter { !$0.isWhitespace }
            if !token.isEmpty {
                try Self.restrictPermissions(path, logger: logger)
                return token
            }
            logger.warning("\(FileName.adminToken) is empty; generating a new admin token")
        }
        let token = Self.makeAdminToken()
        try PKIFileStore.writeText(token + "\n", to: path, mode: PKIFileStore.privateMode)
        logger.info("generated admin token", metadata: ["pki.file": "\(path)"])
        return token
    }

    private static func loadOrIssueServing(
        directory: String,
        requested: PKISubjectAlternativeNames,
        authority: KeyPair,
        now: Date,
        logger: Logger
    ) throws -> KeyPair {
        let certificatePath = PKIFileStore.join(directory, FileName.servingCertificate)
        let keyPath = PKIFileStore.join(directory, FileName.servingPrivateKey)

        let reason: String
        switch try Self.existingServing(certificatePath: certificatePath, keyPath: keyPath) {
        case .success(let existing):
            if let staleness = try Self.reissueReason(existing: existing, requested: requested, authority: authority, now: now) {
                reason = staleness
            } else {
                try Self.restrictPermissions(keyPath, logger: logger)
                return existing
            }
        case .failure(let problem):
            reason = problem.message
        }

        let key = P256.Signing.PrivateKey()
        let keyPEM = Self.normalizedPEM(key.pemRepresentation)
        let certificate = try PKICertificateIssuer.makeLeaf(
            subject: try DistinguishedName { CommonName(Self.servingCommonName) },
            publicKey: Certificate.PublicKey(key.publicKey),
            usages: [.serverAuth],
            alternativeNames: requested,
            authority: authority.certificate,
            authorityKey: authority.privateKey,
            now: now,
            validity: Self.servingValidity
        )
        let certificatePEM = try PKICertificateIssuer.pem(of: certificate)
        // Key first, then certificate: a crash in between yields a mismatch, which re-issues again.
        try PKIFileStore.writeText(keyPEM, to: keyPath, mode: PKIFileStore.privateMode)
        try PKIFileStore.writeText(certificatePEM, to: certificatePath, mode: PKIFileStore.publicMode)
        logger.info(
            "issued API server serving certificate",
            metadata: [
                "pki.reason": "\(reason)",
                "pki.dnsNames": "\(requested.dnsNames.joined(separator: ","))",
                "pki.ipAddresses": "\(requested.ipAddresses.map(PKISubjectAlternativeNames.formatIPAddress).joined(separator: ","))",
                "pki.notAfter": "\(certificate.notValidAfter)",
            ]
        )
        return KeyPair(certificate: certificate, certificatePEM: certificatePEM, privateKey: key, privateKeyPEM: keyPEM)
    }

    /// The existing serving pair, or why there is none usable.
    private static func existingServing(
        certificatePath: String,
        keyPath: String
    ) throws -> Result<KeyPair, ClusterPKIError> {
        guard let certificateText = try PKIFileStore.readText(certificatePath),
            let keyText = try PKIFileStore.readText(keyPath)
        else {
            return .failure(ClusterPKIError(.invalidFile, "no serving certificate and key yet"))
        }
        do {
            let certificate = try Self.parseCertificate(certificateText, path: certificatePath)
            let key = try Self.parsePrivateKey(keyText, path: keyPath)
            return .success(
                KeyPair(
                    certificate: certificate,
                    certificatePEM: Self.normalizedPEM(certificateText),
                    privateKey: key,
                    privateKeyPEM: Self.normalizedPEM(keyText)
                )
            )
        } catch let error as ClusterPKIError {
            return .failure(error)
        }
    }

    /// Why an existing serving certificate must be replaced, or nil if it can be kept.
    static func reissueReason(
        existing: KeyPair,
        requested: PKISubjectAlternativeNames,
        authority: KeyPair,
        now: Date
    ) throws -> String? {
        let certificate = existing.certificate
        if certificate.publicKey != Certificate.PublicKey(existing.privateKey.publicKey) {
            return "\(FileName.servingPrivateKey) does not match \(FileName.servingCertificate)"
        }
        if !PKICertificateIssuer.isIssued(certificate, by: authority.certificate) {
            return "serving certificate was not issued by the current CA"
        }
        if certificate.notValidBefore > now {
            return "serving certificate is not valid yet (notBefore \(certificate.notValidBefore))"
        }
        if certificate.notValidAfter.timeIntervalSince(now) < Self.renewalWindow {
            return "serving certificate expires within 30 days (notAfter \(certificate.notValidAfter))"
        }
        guard let usages = try? certificate.extensions.extendedKeyUsage, usages.contains(.serverAuth) else {
            return "serving certificate lacks the serverAuth extended key usage"
        }
        let present = (try? PKISubjectAlternativeNames(of: certificate)) ?? PKISubjectAlternativeNames()
        if !present.contains(requested) {
            return "serving certificate lacks \(present.missing(from: requested).joined(separator: ", "))"
        }
        return nil
    }
}

// MARK: - Parsing and small helpers

extension ClusterPKI {
    static func makeAdminToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { bytes in
            bytes.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 0x10 ? "0" + hex : hex
            }.joined()
        }
    }

    static func parseCertificate(_ text: String, path: String) throws -> Certificate {
        do {
            return try Certificate(pemEncoded: text)
        } catch {
            throw ClusterPKIError(.invalidFile, "\(path) is not a PEM certificate: \(error)")
        }
    }

    static func parsePrivateKey(_ text: String, path: String) throws -> P256.Signing.PrivateKey {
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw ClusterPKIError(.invalidFile, "\(path) is not a PEM P-256 private key: \(error)")
        }
    }

    /// PEM text with exactly one trailing newline, so files and properties compare equal.
    static func normalizedPEM(_ text: String) -> String {
        var trimmed = Substring(text)
        while let last = trimmed.last, last.isWhitespace {
            trimmed = trimmed.dropLast()
        }
        return String(trimmed) + "\n"
    }

    private static func restrictPermissions(_ path: String, logger: Logger) throws {
        if try PKIFileStore.restrictPermissions(path, to: PKIFileStore.privateMode) {
            logger.warning("tightened permissions to 0600", metadata: ["pki.file": "\(path)"])
        }
    }
}
