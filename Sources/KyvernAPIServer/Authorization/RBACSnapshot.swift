import KyvernAPI

/// Every Role, ClusterRole and binding, indexed by subject so that a decision reads only the
/// bindings naming the user or one of its groups, however many bindings exist.
struct RBACSnapshot: Sendable {
    /// A binding's grant: the role it names and where it came from (for reasons and reviews).
    struct Grant: Sendable, Hashable {
        var roleKind: String
        var roleName: String
        var bindingKind: String
        var bindingName: String
        /// The RoleBinding's namespace ("" for a ClusterRoleBinding).
        var bindingNamespace: String
        /// The subject that matched, as reasons print it (`Group "system:masters"`).
        var subject: String = ""
    }

    /// A grant with its role's rules, looked up once when the snapshot is built (the snapshot is
    /// rebuilt whenever a role or binding changes), so a decision does no role lookups.
    struct Entry: Sendable {
        var grant: Grant
        var rules: [PolicyRule]

        func allows(_ request: AuthorizationAttributes) -> Bool {
            rules.contains { $0.allows(request) }
        }
    }

    /// Grants keyed by subject: users (ServiceAccounts as their user names) and groups.
    struct SubjectIndex: Sendable {
        var users: [String: [Entry]] = [:]
        var groups: [String: [Entry]] = [:]

        func entries(for user: UserInfo) -> [Entry] {
            var result = users[user.name] ?? []
            for group in user.groups {
                if let entries = groups[group] { result += entries }
            }
            return result
        }

        /// The first grant of the user's or one of its groups' that allows the request, without
        /// collecting the candidates first: the decision's hot path.
        func firstAllowing(_ request: AuthorizationAttributes) -> Grant? {
            if let entries = users[request.user.name], let hit = entries.first(where: { $0.allows(request) }) {
                return hit.grant
            }
            for group in request.user.groups {
                if let entries = groups[group], let hit = entries.first(where: { $0.allows(request) }) {
                    return hit.grant
                }
            }
            return nil
        }
    }

    var clusterRoles: [String: [PolicyRule]] = [:]
    /// Roles keyed `namespace/name`.
    var roles: [String: [PolicyRule]] = [:]
    var cluster = SubjectIndex()
    /// RoleBinding grants per namespace.
    var namespaced: [String: SubjectIndex] = [:]

    init() {}

    init(clusterRoles: [JSONValue], roles: [JSONValue], clusterRoleBindings: [JSONValue], roleBindings: [JSONValue]) {
        for role in clusterRoles {
            guard let name = role[path: ["metadata", "name"]]?.stringValue else { continue }
            self.clusterRoles[name] = Self.rules(of: role)
        }
        for role in roles {
            guard let name = role[path: ["metadata", "name"]]?.stringValue,
                  let namespace = role[path: ["metadata", "namespace"]]?.stringValue else { continue }
            self.roles["\(namespace)/\(name)"] = Self.rules(of: role)
        }
        for binding in clusterRoleBindings {
            index(binding, namespace: "", into: &cluster)
        }
        for binding in roleBindings {
            guard let namespace = binding[path: ["metadata", "namespace"]]?.stringValue else { continue }
            index(binding, namespace: namespace, into: &namespaced[namespace, default: SubjectIndex()])
        }
    }

    static func rules(of role: JSONValue) -> [PolicyRule] {
        role["rules"]?.arrayValue?.map(PolicyRule.init(json:)) ?? []
    }

    private func index(_ binding: JSONValue, namespace: String, into index: inout SubjectIndex) {
        guard let name = binding[path: ["metadata", "name"]]?.stringValue,
              let roleName = binding[path: ["roleRef", "name"]]?.stringValue,
              let roleKind = binding[path: ["roleRef", "kind"]]?.stringValue else { return }
        let grant = Grant(roleKind: roleKind, roleName: roleName,
                          bindingKind: namespace.isEmpty ? "ClusterRoleBinding" : "RoleBinding",
                          bindingName: name, bindingNamespace: namespace)
        let rules = rules(of: grant)
        for subject in binding["subjects"]?.arrayValue ?? [] {
            guard let subjectName = subject["name"]?.stringValue, !subjectName.isEmpty else { continue }
            var grant = grant
            switch subject["kind"]?.stringValue {
            case "User":
                grant.subject = "User \"\(subjectName)\""
                index.users[subjectName, default: []].append(Entry(grant: grant, rules: rules))
            case "Group":
                grant.subject = "Group \"\(subjectName)\""
                index.groups[subjectName, default: []].append(Entry(grant: grant, rules: rules))
            case "ServiceAccount":
                var saNamespace = subject["namespace"]?.stringValue ?? ""
                if saNamespace.isEmpty { saNamespace = namespace }
                guard !saNamespace.isEmpty else { continue }
                grant.subject = "ServiceAccount \"\(subjectName)/\(saNamespace)\""
                index.users["system:serviceaccount:\(saNamespace):\(subjectName)", default: []]
                    .append(Entry(grant: grant, rules: rules))
            default:
                continue
            }
        }
    }

    /// The rules a grant confers (none when its role does not exist, as upstream).
    func rules(of grant: Grant) -> [PolicyRule] {
        if grant.roleKind == "ClusterRole" { return clusterRoles[grant.roleName] ?? [] }
        guard grant.roleKind == "Role", !grant.bindingNamespace.isEmpty else { return [] }
        return roles["\(grant.bindingNamespace)/\(grant.roleName)"] ?? []
    }

    /// The grants that apply to a user in a namespace ("" = cluster-wide grants only).
    func grants(for user: UserInfo, namespace: String) -> [Grant] {
        entries(for: user, namespace: namespace).map(\.grant)
    }

    private func entries(for user: UserInfo, namespace: String) -> [Entry] {
        var result = cluster.entries(for: user)
        if !namespace.isEmpty, let index = namespaced[namespace] {
            result += index.entries(for: user)
        }
        return result
    }

    /// The first grant allowing the request, if any: ClusterRoleBindings first, as upstream.
    func allowingGrant(_ request: AuthorizationAttributes) -> Grant? {
        if let grant = cluster.firstAllowing(request) { return grant }
        guard !request.namespace.isEmpty, let index = namespaced[request.namespace] else { return nil }
        return index.firstAllowing(request)
    }

    /// Every rule that applies to a user in a namespace.
    func rules(for user: UserInfo, namespace: String) -> [PolicyRule] {
        entries(for: user, namespace: namespace).flatMap(\.rules)
    }
}
