/// An `audit.k8s.io/v1` Policy: the first rule matching a request sets its level; no match, no
/// event.
package struct AuditPolicy: Sendable, Hashable {
    package var rules: [AuditPolicyRule]
    /// Stages no rule logs.
    package var omitStages: [AuditStage] = []
    /// Leaves `metadata.managedFields` out of logged request and response objects.
    package var omitManagedFields = false

    package init(rules: [AuditPolicyRule], omitStages: [AuditStage] = [], omitManagedFields: Bool = false) {
        self.rules = rules
        self.omitStages = omitStages
        self.omitManagedFields = omitManagedFields
    }

    /// The level and the stages left out for a request (`None` when no rule matches).
    package func evaluate(_ request: AuthorizationAttributes, user: UserInfo?) -> (level: AuditLevel, omitStages: Set<AuditStage>) {
        guard let rule = rules.first(where: { $0.matches(request, user: user) }) else { return (.none, []) }
        return (rule.level, Set(omitStages + rule.omitStages))
    }
}
