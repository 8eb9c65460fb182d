public import KyvernAPI

/// A decision on a request, with upstream's reason texts (shown by access reviews).
public struct AuthorizationDecision: Sendable, Hashable {
    public var allowed: Bool
    public var reason: String

    public static func allow(_ reason: String) -> AuthorizationDecision { .init(allowed: true, reason: reason) }
    public static let noOpinion = AuthorizationDecision(allowed: false, reason: "")
}

/// Decides requests: members of `system:masters` are allowed everything (upstream's privileged-group
/// authorizer, ahead of every mode), then RBAC. With authorization off every request is allowed.
public struct Authorizer: Sendable {
    /// `AlwaysAllow` (no authorization) or `RBAC`.
    public enum Mode: String, Sendable, CaseIterable {
        case alwaysAllow = "AlwaysAllow"
        case rbac = "RBAC"
    }

    let mode: Mode
    let rbac: RBACAuthorizer
    let metrics: AuthorizationMetrics?

    init(mode: Mode, rbac: RBACAuthorizer, metrics: AuthorizationMetrics? = nil) {
        self.mode = mode
        self.rbac = rbac
        self.metrics = metrics
    }

    public func authorize(_ request: AuthorizationAttributes) async -> AuthorizationDecision {
        if mode == .alwaysAllow { return .allow("") }
        if request.user.groups.contains("system:masters") { return .allow("") }
        let start = ContinuousClock.now
        let decision = await rbac.authorize(request)
        metrics?.record(allowed: decision.allowed, duration: ContinuousClock.now - start)
        return decision
    }

    /// The rules a user holds in a namespace, for SelfSubjectRulesReview and escalation checks.
    /// Nil means "everything" (masters, or no authorization).
    func rules(for user: UserInfo, namespace: String) async -> [PolicyRule]? {
        if mode == .alwaysAllow || user.groups.contains("system:masters") { return nil }
        return await rbac.rules(for: user, namespace: namespace)
    }

    /// Throws upstream's 403 unless the request is allowed.
    func require(_ request: AuthorizationAttributes) async throws(APIError) {
        let decision = await authorize(request)
        if !decision.allowed { throw ForbiddenError.make(request, reason: decision.reason) }
    }
}
