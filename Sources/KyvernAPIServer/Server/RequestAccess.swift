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
        var outcome = AccessOutcome()
        return try await admit(method: method, path: path, target: target, query: query, headers: headers, outcome: &outcome)
    }

    /// The same, recording in `outcome` (also when it throws) who asked and what was decided, for the audit log.
    func admit(method: String, path: String, target: RequestTarget?, query: QueryParameters, headers: HTTPFields,
               outcome: inout AccessOutcome) async throws -> UserInfo
    {
        let authorization = headers[.authorization]
            ?? WebSocketBearerToken.authorizationHeader(offered: PodStreamingProxy.offeredProtocols(headers))
        let requester = try await authentication.authenticate(authorizationHeader: authorization,
                                                              certificateUser: ClientCertificateIdentity.current)
        outcome.requester = requester
        let impersonation = Impersonation.request(headers: headers.map { ($0.name.canonicalName, $0.value) })
        let user = try await Impersonation.resolve(impersonation, requester: requester, authorizer: authorizer)
        if !impersonation.isEmpty { outcome.impersonated = user }
        var attributes = AuthorizationAttributes.of(method: method, path: path, target: target, query: query, user: user)
        // Streaming subresources are authorized as creating them, whichever method opens the stream.
        if attributes.isResourceRequest, attributes.resource == "pods",
           ["exec", "attach", "portforward"].contains(attributes.subresource) {
            attributes.verb = "create"
        }
        let decision = await authorizer.authorize(attributes)
        outcome.decision = decision
        if !decision.allowed { throw ForbiddenError.make(attributes, reason: decision.reason) }
        return user
    }
}
