/// Maps a bearer token to a user. The API server asks each of its token authenticators in turn
/// (static tokens, ServiceAccount JWTs); the first that knows the token wins, and a token none
/// knows is refused with 401, never treated as anonymous.
public protocol TokenAuthenticator: Sendable {
    /// The user the token belongs to, or nil when it is unknown, malformed, expired or revoked.
    func authenticate(token: String) async -> UserInfo?
}

extension BearerTokenAuthenticator: TokenAuthenticator {
    public func authenticate(token: String) async -> UserInfo? {
        authenticate(authorizationHeader: "Bearer \(token)")
    }
}
