public import KyvernAPI

/// Upstream's authentication union: a verified client certificate, else a bearer token one of the
/// token authenticators knows (an unknown token is 401, never anonymous), else, with no
/// credentials at all, `system:anonymous` (which RBAC then allows little).
public struct RequestAuthentication: Sendable {
    public var tokens: [any TokenAuthenticator]
    /// When false a request without credentials is 401, as with `--anonymous-auth=false`.
    public var allowAnonymous: Bool

    public init(tokens: [any TokenAuthenticator], allowAnonymous: Bool = true) {
        self.tokens = tokens
        self.allowAnonymous = allowAnonymous
    }

    /// The user making a request.
    public func authenticate(authorizationHeader: String?, certificateUser: UserInfo?) async throws(APIError) -> UserInfo {
        if let certificateUser { return certificateUser }
        if let header = authorizationHeader, !header.isEmpty {
            guard let token = BearerTokenAuthenticator.bearerToken(in: header).map(String.init) else {
                throw APIError.unauthorized
            }
            for authenticator in tokens {
                if let user = await authenticator.authenticate(token: token) { return user }
            }
            throw APIError.unauthorized
        }
        guard allowAnonymous else { throw APIError.unauthorized }
        return .anonymous
    }
}
