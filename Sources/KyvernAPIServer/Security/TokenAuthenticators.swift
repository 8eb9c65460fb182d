/// The API server's bearer-token authentication: its token authenticators asked in order
/// (static tokens first, then ServiceAccount JWTs); the first that knows the token wins.
struct TokenAuthenticators: Sendable {
    let authenticators: [any TokenAuthenticator]

    init(_ authenticators: [any TokenAuthenticator]) {
        self.authenticators = authenticators
    }

    /// The user of the `Authorization: Bearer` header, or nil if it is absent or no one knows it.
    func authenticate(authorizationHeader: String?) async -> UserInfo? {
        guard let authorizationHeader, let token = BearerTokenAuthenticator.bearerToken(in: authorizationHeader) else {
            return nil
        }
        for authenticator in authenticators {
            if let user = await authenticator.authenticate(token: String(token)) { return user }
        }
        return nil
    }
}
