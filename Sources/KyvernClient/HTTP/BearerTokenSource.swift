/// Where a client view gets the bearer token of each request, for credentials that change while
/// the component runs (a ServiceAccount token renewed through the TokenRequest API).
public protocol BearerTokenSource: Sendable {
    /// The token to send now; a failure fails the request with that error.
    func currentToken() async throws -> String
    /// The server answered 401 to `token`: forget it, so the next ``currentToken()`` gets a new one.
    func tokenRejected(_ token: String) async
}

extension BearerTokenSource {
    public func tokenRejected(_ token: String) async {}
}
