/// One rule of an audit policy: the level for the requests it matches. Every list left empty
/// matches everything; a rule naming resources or namespaces matches only resource requests, one
/// naming `nonResourceURLs` only other paths.
package struct AuditPolicyRule: Sendable, Hashable {
    package var level: AuditLevel
    package var users: [String] = []
    package var userGroups: [String] = []
    package var verbs: [String] = []
    package var resources: [AuditGroupResources] = []
    package var namespaces: [String] = []
    package var nonResourceURLs: [String] = []
    /// Stages this rule does not log, on top of the policy's.
    package var omitStages: [AuditStage] = []

    package init(level: AuditLevel) { self.level = level }

    /// Whether the rule covers a request; `user` is nil when authentication failed, which no
    /// rule naming users or groups matches.
    package func matches(_ request: AuthorizationAttributes, user: UserInfo?) -> Bool {
        if !users.isEmpty {
            guard let user, users.contains(user.name) else { return false }
        }
        if !userGroups.isEmpty {
            guard let user, user.groups.contains(where: userGroups.contains) else { return false }
        }
        if !verbs.isEmpty, !verbs.contains(request.verb) { return false }
        if !nonResourceURLs.isEmpty {
            guard !request.isResourceRequest else { return false }
            guard nonResourceURLs.contains(where: { Self.path(request.path, matches: $0) }) else { return false }
        }
        if !namespaces.isEmpty || !resources.isEmpty {
            guard request.isResourceRequest else { return false }
            if !namespaces.isEmpty, !namespaces.contains(request.namespace) { return false }
            if resources.isEmpty { return true }
            return resources.contains {
                $0.matches(group: request.apiGroup, resource: request.resource, subresource: request.subresource,
                           name: request.name)
            }
        }
        return true
    }

    /// `/healthz` matches itself; `/api*` matches every path starting `/api`; `*` every path.
    static func path(_ path: String, matches pattern: String) -> Bool {
        if pattern == "*" || pattern == path { return true }
        if pattern.hasSuffix("*") { return path.hasPrefix(String(pattern.dropLast())) }
        return false
    }
}
