/// What `RequestAccess.admit` learned about a request, kept even when it refuses it, so the
/// audit log can name the requester, the impersonated user and the authorization decision.
struct AccessOutcome: Sendable {
    /// The authenticated user; nil when authentication failed (401).
    var requester: UserInfo?
    /// The user acted as, when the request impersonates.
    var impersonated: UserInfo?
    /// Nil when the request was refused before authorization (401, or impersonation denied).
    var decision: AuthorizationDecision?
}
