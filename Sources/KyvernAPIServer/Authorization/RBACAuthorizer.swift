/// RBAC decisions from an index of the watch cache's Roles, ClusterRoles and bindings, rebuilt
/// only when one of those four resources changed since the last decision; so a binding written
/// a moment ago already counts, and a quiet cluster decides without touching the cache's objects.
actor RBACAuthorizer {
    static let buckets = [
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "clusterroles"),
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "roles"),
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"),
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "rolebindings"),
    ]

    private let cache: WatchCache
    private var snapshot = RBACSnapshot()
    private var version: [Int64] = []

    init(cache: WatchCache) {
        self.cache = cache
    }

    func authorize(_ request: AuthorizationAttributes) async -> AuthorizationDecision {
        let snapshot = await current()
        guard let grant = snapshot.allowingGrant(request) else { return .noOpinion }
        return .allow(Self.reason(grant))
    }

    func rules(for user: UserInfo, namespace: String) async -> [PolicyRule] {
        await current().rules(for: user, namespace: namespace)
    }

    private func current() async -> RBACSnapshot {
        let latest = await cache.version(ofBuckets: Self.buckets)
        if latest != version {
            let contents = await cache.contents(ofBuckets: Self.buckets)
            snapshot = RBACSnapshot(clusterRoles: contents.items[0].map(\.object), roles: contents.items[1].map(\.object),
                                    clusterRoleBindings: contents.items[2].map(\.object),
                                    roleBindings: contents.items[3].map(\.object))
            version = contents.version
        }
        return snapshot
    }

    /// Upstream's wording: `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"`.
    static func reason(_ grant: RBACSnapshot.Grant) -> String {
        let binding = grant.bindingNamespace.isEmpty
            ? "\(grant.bindingKind) \"\(grant.bindingName)\""
            : "\(grant.bindingKind) \"\(grant.bindingName)/\(grant.bindingNamespace)\""
        return "RBAC: allowed by \(binding) of \(grant.roleKind) \"\(grant.roleName)\" to \(grant.subject)"
    }
}
