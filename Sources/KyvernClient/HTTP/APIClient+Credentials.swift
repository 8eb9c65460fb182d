extension ClientConfiguration {
    /// The server and its CA without any credentials: the base of client views that each carry
    /// their own token (a client certificate would authenticate first and hide the token).
    public func withoutCredentials() -> ClientConfiguration {
        var copy = self
        copy.bearerToken = nil
        copy.clientIdentity = nil
        return copy
    }
}

extension APIClient {
    /// A view of this client that sends `source`'s token (and `userAgent`, when given) while
    /// sharing the connection pool, so many identities in one process (each controller as its own
    /// ServiceAccount) cost no extra connections. Shut down only the client the views came from.
    ///
    /// Throws when this client presents a client certificate: the server authenticates the
    /// certificate before any token, so the view would silently act as the certificate's user.
    public func authenticating(with source: any BearerTokenSource, userAgent: String? = nil) throws -> APIClient {
        guard configuration.clientIdentity == nil else {
            throw KubeconfigError("a client view with a token of its own needs a base client without a client certificate")
        }
        var view = self
        view.tokenSource = source
        if let userAgent { view.userAgentOverride = userAgent }
        return view
    }

    /// The `Authorization` header of the next request, if any.
    func authorizationHeader() async throws -> String? {
        if let tokenSource { return "Bearer \(try await tokenSource.currentToken())" }
        return configuration.bearerToken.map { "Bearer \($0)" }
    }
}
