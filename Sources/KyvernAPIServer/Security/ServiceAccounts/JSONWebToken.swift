package import KyvernAPI

/// A compact-serialized, RS256-signed JSON Web Token (RFC 7519): the format of ServiceAccount
/// tokens. Only what Kubernetes issues is accepted — `alg` RS256, three segments, object claims —
/// so a token cannot choose a weaker algorithm (`none`, HMAC with the public key).
package enum JSONWebToken {
    /// Why a token was refused.
    package struct Failure: Error, Equatable, CustomStringConvertible {
        package let description: String
        init(_ description: String) { self.description = description }
    }

    /// `header.claims.signature`, the header naming RS256 and the key id.
    package static func sign(claims: JSONValue, with key: ServiceAccountSigningKey) throws -> String {
        let header: JSONValue = ["alg": "RS256", "kid": .string(key.keyID)]
        let signingInput = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized())
        let signature = try key.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The header and claims of a token signed by one of `keys`.
    ///
    /// The header's `kid`, when present, selects the key; otherwise every key is tried.
    package static func verify(_ token: String, keys: [ServiceAccountVerificationKey]) throws(Failure) -> (header: JSONValue, claims: JSONValue) {
        let (header, claims, signingInput, signature) = try parse(token)
        guard header["alg"]?.stringValue == "RS256" else {
            throw Failure("unsupported signing algorithm \(header["alg"]?.stringValue ?? "none")")
        }
        let kid = header["kid"]?.stringValue
        let candidates = keys.filter { kid == nil || $0.keyID == kid }
        guard candidates.contains(where: { $0.isValidSignature(signature, for: signingInput) }) else {
            throw Failure("invalid signature")
        }
        return (header, claims)
    }

    /// The header and claims of a token without checking its signature: only to ask whether it
    /// looks like one of ours (its issuer) before the costlier check.
    package static func unverifiedClaims(_ token: String) -> JSONValue? {
        try? parse(token).1
    }

    private static func parse(_ token: String) throws(Failure) -> (JSONValue, JSONValue, [UInt8], [UInt8]) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let claimBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]) else {
            throw Failure("malformed token")
        }
        guard let header = try? JSONValue.parse(headerBytes), header.objectValue != nil,
              let claims = try? JSONValue.parse(claimBytes), claims.objectValue != nil else {
            throw Failure("malformed token")
        }
        return (header, claims, Array("\(parts[0]).\(parts[1])".utf8), signature)
    }
}
