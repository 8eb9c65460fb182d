public import KyvernAPI

/// A decision on a request, with upstream's reason texts (shown by access reviews).
public struct AuthorizationDecision: Sendable, Hashable {
    public var allowed: Bool
    public var reason: String

    public static func allow(_ reason: String) -> AuthorizationDecision { .init(allowed: true, reason: reason) }
    public static let noOpinion = AuthorizationDecision(allowed: false, reason: "")
}

/// Decides requests: members of `system:masters` are allowed everything (upstream's privileged-group
/// authorizer, ahead of every mode), then each configured mode in order (`--authorization-mode
/// Node,RBAC`) until one allows; the reasons of those without an opinion are joined, as upstream's
/// union authorizer does. With `AlwaysAllow` every request is allowed.
public struct Authorizer: Sendable {
    /// One of upstream's authorization modes.
    public enum Mode: String, Sendable, CaseIterable {
        case alwaysAllow = "AlwaysAllow"
        case node = "Node"
        case rbac = "RBAC"
    }

    let modes: [Mode]
    let rbac: RBACAuthorizer
    let node: NodeAuthorizer?
    let metrics: AuthorizationMetrics?

    init(mode: Mode, rbac: RBACAuthorizer, metrics: AuthorizationMetrics? = nil) {
        self.init(modes: [mode], rbac: rbac, metrics: metrics)
    }

    init(modes: [Mode], rbac: RBACAuthorizer, node: NodeAuthorizer? = nil, metrics: AuthorizationMetrics? = nil) {
        self.modes = modes
        self.rbac = rbac
        self.node = node
        self.metrics = metrics
    }

    private var allowsEverything: Bool { modes.contains(.alwaysAllow) }

    public func authorize(_ request: AuthorizationAttributes) async -> AuthorizationDecision {
        if allowsEverything { return .allow("") }
        if request.user.groups.contains("system:masters") { return .allow("") }
        let start = ContinuousClock.now
        var reasons: [String] = []
        var decision = AuthorizationDecision.noOpinion
        for mode in modes {
            let answer: AuthorizationDecision?
            switch mode {
            case .alwaysAllow: answer = .allow("")
            case .node: answer = await node?.authorize(request)
            case .rbac: answer = await rbac.authorize(request)
            }
            guard let answer else { continue }
            if answer.allowed {
                decision = answer
                break
            }
            if !answer.reason.isEmpty { reasons.append(answer.reason) }
        }
        if !decision.allowed { decision.reason = reasons.joined(separator: "\n") }
        metrics?.record(allowed: decision.allowed, duration: ContinuousClock.now - start)
        return decision
    }

    /// The rules a user holds in a namespace, for SelfSubjectRulesReview and escalation checks.
    /// Nil means "everything" (masters, or no authorization).
    func rules(for user: UserInfo, namespace: String) async -> [PolicyRule]? {
        if allowsEverything || user.groups.contains("system:masters") { return nil }
        return modes.contains(.rbac) ? await rbac.rules(for: user, namespace: namespace) : []
    }

    /// Throws upstream's 403 unless the request is allowed.
    func require(_ request: AuthorizationAttributes) async throws(APIError) {
        let decision = await authorize(request)
        if !decision.allowed { throw ForbiddenError.make(request, reason: decision.reason) }
    }
}
