import Synchronization

/// RBAC decisions from an index of the watch cache's Roles, ClusterRoles and bindings, rebuilt
/// only when one of those four resources changed since the last decision; so a binding written
/// a moment ago already counts, and a quiet cluster decides under a lock held for a pointer copy,
/// without waiting on the watch cache.
final class RBACAuthorizer: Sendable {
    static let buckets = [
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "clusterroles"),
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "roles"),
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"),
        StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "rolebindings"),
    ]

    private struct Indexed: Sendable {
        var version: [Int64]
        var snapshot: RBACSnapshot
    }

    private let cache: WatchCache
    private let indexed = Mutex(Indexed(version: [], snapshot: RBACSnapshot()))
    /// Brings the watch cache up to the store's current revision (a consistent read).
    private let sync: @Sendable () async -> Void

    init(cache: WatchCache, sync: @escaping @Sendable () async -> Void = {}) {
        self.cache = cache
        self.sync = sync
    }

    func authorize(_ request: AuthorizationAttributes) async -> AuthorizationDecision {
        if let grant = await current().allowingGrant(request) { return .allow(Self.reason(grant)) }
        // Before refusing, catch up with the store: a binding written a moment ago (by this server at
        // start-up, or by another server on the same etcd) may not have reached the cache yet.
        await sync()
        guard let grant = await current().allowingGrant(request) else { return .noOpinion }
        return .allow(Self.reason(grant))
    }

    func rules(for user: UserInfo, namespace: String) async -> [PolicyRule] {
        await current().rules(for: user, namespace: namespace)
    }

    private func current() async -> RBACSnapshot {
        let latest = cache.changes.version(ofBuckets: Self.buckets)
        if let snapshot = indexed.withLock({ $0.version == latest ? $0.snapshot : nil }) { return snapshot }
        let contents = await cache.contents(ofBuckets: Self.buckets)
        let snapshot = RBACSnapshot(clusterRoles: contents.items[0].map(\.object), roles: contents.items[1].map(\.object),
                                    clusterRoleBindings: contents.items[2].map(\.object),
                                    roleBindings: contents.items[3].map(\.object))
        indexed.withLock { indexed in
            // A slower rebuild from older contents must not replace a newer one.
            if indexed.version.isEmpty || !Self.isNewer(indexed.version, than: contents.version) {
                indexed = Indexed(version: contents.version, snapshot: snapshot)
            }
        }
        return snapshot
    }

    private static func isNewer(_ a: [Int64], than b: [Int64]) -> Bool {
        guard a.count == b.count else { return false }
        if a[0] != b[0] { return a[0] > b[0] }
        return zip(a.dropFirst(), b.dropFirst()).allSatisfy { $0 >= $1 } && a != b
    }

    /// Upstream's wording: `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"`.
    static func reason(_ grant: RBACSnapshot.Grant) -> String {
        let binding = grant.bindingNamespace.isEmpty
            ? "\(grant.bindingKind) \"\(grant.bindingName)\""
            : "\(grant.bindingKind) \"\(grant.bindingName)/\(grant.bindingNamespace)\""
        return "RBAC: allowed by \(binding) of \(grant.roleKind) \"\(grant.roleName)\" to \(grant.subject)"
    }
}
