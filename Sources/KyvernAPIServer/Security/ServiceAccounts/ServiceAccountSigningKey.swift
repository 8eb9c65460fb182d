import Crypto
import CryptoExtras
import Foundation
package import KyvernAPI
public import Logging

/// The key pair ServiceAccount tokens are signed with: RSA 2048, RS256, as upstream's
/// `--service-account-key-file` / `--service-account-signing-key-file` by default.
///
/// Kept in the PKI directory as `service-account.key` (PKCS#8, mode 0600), made on the first start
/// and reused afterwards, so tokens handed out earlier stay valid across restarts; servers sharing
/// an etcd datastore share it through the cluster bootstrap bundle.
public struct ServiceAccountSigningKey: Sendable {
    /// The file name inside the PKI directory.
    public static let fileName = "service-account.key"

    let privateKey: _RSA.Signing.PrivateKey
    /// The private key, PKCS#8 PEM (what the file holds).
    public let privateKeyPEM: String
    /// The key id: base64url of the SHA-256 of the DER public key, as upstream derives it, so a
    /// verifier can pick the key from the JWKS document by the token header's `kid`.
    public let keyID: String

    /// Parses a PEM private key (PKCS#8 or PKCS#1).
    public init(pemRepresentation: String) throws {
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: pemRepresentation)
        self.init(key: key)
    }

    init(key: _RSA.Signing.PrivateKey) {
        self.privateKey = key
        self.privateKeyPEM = ClusterPKI.normalizedPEM(key.pkcs8PEMRepresentation)
        self.keyID = Self.keyID(of: key.publicKey)
    }

    /// A fresh 2048-bit key.
    package static func generate() throws -> ServiceAccountSigningKey {
        ServiceAccountSigningKey(key: try _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    /// The public half, for verifiers.
    package var publicKey: ServiceAccountVerificationKey {
        ServiceAccountVerificationKey(key: privateKey.publicKey, keyID: keyID)
    }

    /// The RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of `data`.
    package func sign(_ data: [UInt8]) throws -> [UInt8] {
        let signature = try privateKey.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
        return Array(signature.rawRepresentation)
    }

    static func keyID(of publicKey: _RSA.Signing.PublicKey) -> String {
        Base64URL.encode(Array(SHA256.hash(data: publicKey.derRepresentation)))
    }

    /// Loads `service-account.key` from `directory`, creating it (and the directory) if absent.
    public static func loadOrCreate(directory: String, logger: Logger) throws -> ServiceAccountSigningKey {
        try PKIFileStore.ensureDirectory(directory)
        let path = PKIFileStore.join(directory, fileName)
        if let text = try PKIFileStore.readText(path) {
            do {
                let key = try ServiceAccountSigningKey(pemRepresentation: text)
                if try PKIFileStore.restrictPermissions(path, to: PKIFileStore.privateMode) {
                    logger.warning("tightened permissions to 0600", metadata: ["pki.file": "\(path)"])
                }
                return key
            } catch let error as ClusterPKIError {
                throw error
            } catch {
                throw ClusterPKIError(.invalidFile, "\(path) is not a PEM RSA private key: \(error)")
            }
        }
        let key = try generate()
        try PKIFileStore.writeText(key.privateKeyPEM, to: path, mode: PKIFileStore.privateMode)
        logger.info("generated the ServiceAccount token signing key", metadata: ["pki.file": "\(path)", "kid": "\(key.keyID)"])
        return key
    }
}

/// A public key that ServiceAccount token signatures are checked against.
package struct ServiceAccountVerificationKey: Sendable {
    let key: _RSA.Signing.PublicKey
    package let keyID: String

    /// Whether `signature` is the RS256 signature of `data` by this key.
    package func isValidSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature),
                             for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
    }

    /// The key as a JSON Web Key (RFC 7517), as upstream's `/openid/v1/jwks` lists it.
    package var jwk: JSONValue {
        guard let primitives = try? key.getKeyPrimitives() else { return [:] }
        return [
            "use": "sig", "kty": "RSA", "kid": .string(keyID), "alg": "RS256",
            "n": .string(Base64URL.encode(Array(primitives.modulus.drop(while: { $0 == 0 })))),
            "e": .string(Base64URL.encode(Array(primitives.publicExponent.drop(while: { $0 == 0 })))),
        ]
    }
}
