import KyvernAPI

/// Service account issuer discovery, as upstream serves it: an OpenID Connect provider
/// configuration at `/.well-known/openid-configuration` and the verification keys at
/// `/openid/v1/jwks`, so that a relying party outside the cluster can check the tokens.
struct ServiceAccountIssuerDiscovery: Sendable {
    static let configurationPath = "/.well-known/openid-configuration"
    static let keysPath = "/openid/v1/jwks"

    /// `/.well-known/openid-configuration`.
    let configuration: [UInt8]
    /// `/openid/v1/jwks`.
    let keys: [UInt8]

    /// - Parameter jwksHost: `host:port` the key set is published at (the server's address).
    init(issuer: String, keys: [ServiceAccountVerificationKey], jwksHost: String) {
        let document: JSONValue = [
            "issuer": .string(issuer),
            "jwks_uri": .string("https://\(jwksHost)\(Self.keysPath)"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        ]
        self.configuration = document.serialized()
        self.keys = JSONValue.object(["keys": .array(keys.map(\.jwk))]).serialized()
    }

    /// The document at `path`, with its content type, or nil for another path.
    func document(at path: String) -> (body: [UInt8], contentType: String)? {
        switch path {
        case Self.configurationPath: (configuration, "application/json")
        case Self.keysPath: (keys, "application/jwk-set+json")
        default: nil
        }
    }
}
