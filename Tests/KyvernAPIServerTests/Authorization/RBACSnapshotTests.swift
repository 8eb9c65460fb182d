import KyvernAPI
import KyvernStore
import Logging
import Testing
@testable import KyvernAPIServer

@Suite struct RBACSnapshotTests {
    static func role(_ name: String, namespace: String? = nil, rules: [PolicyRule]) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return ["metadata": metadata, "rules": .array(rules.map(\.json))]
    }

    static func binding(_ name: String, namespace: String? = nil, role: (kind: String, name: String),
                        subjects: [(String, String, String?)]) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return ["metadata": metadata,
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(role.kind), "name": .string(role.name)],
                "subjects": .array(subjects.map { kind, name, ns in
                    var subject: JSONValue = ["kind": .string(kind), "name": .string(name)]
                    if let ns { subject["namespace"] = .string(ns) }
                    return subject
                })]
    }

    let podReader = PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods"])
    let nodeReader = PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["nodes"])

    var snapshot: RBACSnapshot {
        RBACSnapshot(
            clusterRoles: [Self.role("pod-reader", rules: [podReader]), Self.role("node-reader", rules: [nodeReader])],
            roles: [Self.role("local", namespace: "team", rules: [PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["configmaps"])])],
            clusterRoleBindings: [Self.binding("nodes", role: ("ClusterRole", "node-reader"), subjects: [("Group", "ops", nil)])],
            roleBindings: [
                Self.binding("read", namespace: "team", role: ("ClusterRole", "pod-reader"), subjects: [("User", "alice", nil)]),
                Self.binding("local", namespace: "team", role: ("Role", "local"), subjects: [("ServiceAccount", "builder", nil)]),
                Self.binding("missing", namespace: "team", role: ("Role", "gone"), subjects: [("User", "alice", nil)]),
            ])
    }

    func allowed(_ user: UserInfo, _ verb: String, _ resource: String, namespace: String = "team") -> Bool {
        snapshot.allowingGrant(AuthorizationAttributes(user: user, verb: verb, namespace: namespace, resource: resource)) != nil
    }

    @Test func aRoleBindingGrantsOnlyInItsNamespace() {
        let alice = UserInfo(name: "alice", groups: [])
        #expect(allowed(alice, "list", "pods"))
        #expect(!allowed(alice, "list", "pods", namespace: "other"))
        #expect(!allowed(alice, "list", "pods", namespace: ""))
        #expect(!allowed(alice, "delete", "pods"))
    }

    @Test func clusterRoleBindingsGrantEverywhereToGroups() {
        let bob = UserInfo(name: "bob", groups: ["ops"])
        #expect(allowed(bob, "get", "nodes", namespace: ""))
        #expect(allowed(bob, "get", "nodes", namespace: "anywhere"))
        #expect(!allowed(UserInfo(name: "bob", groups: []), "get", "nodes", namespace: ""))
    }

    @Test func aServiceAccountSubjectDefaultsToTheBindingsNamespace() {
        #expect(allowed(UserInfo(name: "system:serviceaccount:team:builder", groups: []), "create", "configmaps"))
        #expect(!allowed(UserInfo(name: "system:serviceaccount:other:builder", groups: []), "create", "configmaps"))
    }

    @Test func aBindingToAMissingRoleGrantsNothing() {
        let grants = snapshot.grants(for: UserInfo(name: "alice", groups: []), namespace: "team")
        #expect(grants.count == 2)
        #expect(snapshot.rules(for: UserInfo(name: "alice", groups: []), namespace: "team") == [podReader])
    }

    @Test func theReasonNamesBindingRoleAndSubject() {
        let grant = snapshot.allowingGrant(AuthorizationAttributes(user: UserInfo(name: "alice", groups: []), verb: "get",
                                                                   namespace: "team", resource: "pods"))!
        #expect(RBACAuthorizer.reason(grant) == #"RBAC: allowed by RoleBinding "read/team" of ClusterRole "pod-reader" to User "alice""#)
    }

    @Test func theAuthorizerRebuildsWhenABindingChanges() async throws {
        let cache = WatchCache(logger: Logger(label: "test"))
        let clusterRoles = StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "clusterroles")
        let bindings = StorageKeys.resourcePrefix(group: "rbac.authorization.k8s.io", resource: "rolebindings")
        await cache.load([KeyValue(key: clusterRoles + "pod-reader", value: Self.role("pod-reader", rules: [podReader]).serialized(),
                                   createRevision: 1, modRevision: 1)], revision: 1)
        let authorizer = Authorizer(mode: .rbac, rbac: RBACAuthorizer(cache: cache))
        let alice = AuthorizationAttributes(user: UserInfo(name: "alice", groups: []), verb: "get", namespace: "team", resource: "pods")
        #expect(await authorizer.authorize(alice).allowed == false)
        let binding = Self.binding("read", namespace: "team", role: ("ClusterRole", "pod-reader"), subjects: [("User", "alice", nil)])
        await cache.apply([StoreEvent(kind: .put, kv: KeyValue(key: bindings + "team/read", value: binding.serialized(),
                                                                createRevision: 2, modRevision: 2), previous: nil)])
        #expect(await authorizer.authorize(alice).allowed)
        await cache.apply([StoreEvent(kind: .delete, kv: KeyValue(key: bindings + "team/read", value: [],
                                                                   createRevision: 2, modRevision: 3), previous: nil)])
        #expect(await authorizer.authorize(alice).allowed == false)
        // Masters bypass RBAC; AlwaysAllow allows everyone.
        let master = AuthorizationAttributes(user: .clusterAdmin, verb: "delete", resource: "nodes")
        #expect(await authorizer.authorize(master).allowed)
        #expect(await Authorizer(mode: .alwaysAllow, rbac: RBACAuthorizer(cache: cache)).authorize(alice).allowed)
    }
}
