import HTTPTypes
import KyvernAPI

/// Who a request is and whether it may proceed: authentication, then impersonation, then
/// authorization, shared by the HTTP responder and the WebSocket upgrade path.
struct RequestAccess: Sendable {
    let authentication: RequestAuthentication
    let authorizer: Authorizer

    /// The effective user of an allowed request; throws 401, 400 or 403 as upstream does.
    func admit(method: String, path: String, target: RequestTarget?, query: QueryParameters, headers: HTTPFields)
        async throws -> UserInfo
    {
        let requester = try await authentication.authenticate(authorizationHeader: headers[.authorization],
                                                              certificateUser: ClientCertificateIdentity.current)
        let impersonation = Impersonation.request(headers: headers.map { ($0.name.canonicalName, $0.value) })
        let user = try await Impersonation.resolve(impersonation, requester: requester, authorizer: authorizer)
        var attributes = AuthorizationAttributes.of(method: method, path: path, target: target, query: query, user: user)
        // Streaming subresources are authorized as creating them, whichever method opens the stream.
        if attributes.isResourceRequest, attributes.resource == "pods",
           ["exec", "attach", "portforward"].contains(attributes.subresource) {
            attributes.verb = "create"
        }
        try await authorizer.require(attributes)
        return user
    }
}
