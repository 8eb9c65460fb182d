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

    /// Grants keyed by subject: users (ServiceAccounts as their user names) and groups.
    struct SubjectIndex: Sendable {
        var users: [String: [Grant]] = [:]
        var groups: [String: [Grant]] = [:]

        func grants(for user: UserInfo) -> [Grant] {
            var result = users[user.name] ?? []
            for group in user.groups {
                if let grants = groups[group] { result += grants }
            }
            return result
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
            Self.index(binding, namespace: "", into: &cluster)
        }
        for binding in roleBindings {
            guard let namespace = binding[path: ["metadata", "namespace"]]?.stringValue else { continue }
            Self.index(binding, namespace: namespace, into: &namespaced[namespace, default: SubjectIndex()])
        }
    }

    static func rules(of role: JSONValue) -> [PolicyRule] {
        role["rules"]?.arrayValue?.map(PolicyRule.init(json:)) ?? []
    }

    private static func index(_ binding: JSONValue, namespace: String, into index: inout SubjectIndex) {
        guard let name = binding[path: ["metadata", "name"]]?.stringValue,
              let roleName = binding[path: ["roleRef", "name"]]?.stringValue,
              let roleKind = binding[path: ["roleRef", "kind"]]?.stringValue else { return }
        let grant = Grant(roleKind: roleKind, roleName: roleName,
                          bindingKind: namespace.isEmpty ? "ClusterRoleBinding" : "RoleBinding",
                          bindingName: name, bindingNamespace: namespace)
        for subject in binding["subjects"]?.arrayValue ?? [] {
            guard let subjectName = subject["name"]?.stringValue, !subjectName.isEmpty else { continue }
            var grant = grant
            switch subject["kind"]?.stringValue {
            case "User":
                grant.subject = "User \"\(subjectName)\""
                index.users[subjectName, default: []].append(grant)
            case "Group":
                grant.subject = "Group \"\(subjectName)\""
                index.groups[subjectName, default: []].append(grant)
            case "ServiceAccount":
                var saNamespace = subject["namespace"]?.stringValue ?? ""
                if saNamespace.isEmpty { saNamespace = namespace }
                guard !saNamespace.isEmpty else { continue }
                grant.subject = "ServiceAccount \"\(subjectName)/\(saNamespace)\""
                index.users["system:serviceaccount:\(saNamespace):\(subjectName)", default: []].append(grant)
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
        var result = cluster.grants(for: user)
        if !namespace.isEmpty, let index = namespaced[namespace] {
            result += index.grants(for: user)
        }
        return result
    }

    /// The first grant allowing the request, if any.
    func allowingGrant(_ request: AuthorizationAttributes) -> Grant? {
        for grant in grants(for: request.user, namespace: request.namespace)
        where rules(of: grant).contains(where: { $0.allows(request) }) {
            return grant
        }
        return nil
    }

    /// Every rule that applies to a user in a namespace.
    func rules(for user: UserInfo, namespace: String) -> [PolicyRule] {
        grants(for: user, namespace: namespace).flatMap { rules(of: $0) }
    }
}
