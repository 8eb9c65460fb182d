import KyvernAPI

/// Upstream's RBAC escalation prevention: a Role may hold only permissions its author holds
/// (unless the author may `escalate` roles), a binding may grant only a role whose permissions
/// its author holds (unless the author may `bind` that role); and a binding's roleRef is fixed.
extension ResourceHandler {
    static let rbacGroup = "rbac.authorization.k8s.io"

    func admitRBAC(_ object: JSONValue, old: JSONValue?, info: ResourceInfo, user: UserInfo) async throws {
        guard info.group == Self.rbacGroup else { return }
        let isBinding = info.resource == "rolebindings" || info.resource == "clusterrolebindings"
        if isBinding, let old, old["roleRef"] != object["roleRef"] {
            throw APIError.invalid(group: info.group, kind: info.kind, name: Self.name(object), causes: [
                .init(type: "FieldValueInvalid", message: "Invalid value: \(Self.roleRefText(object)): cannot change roleRef",
                      field: "roleRef")])
        }
        guard let authorizer, !user.groups.contains("system:masters") else { return }
        let namespace = info.namespaced ? (object[path: ["metadata", "namespace"]]?.stringValue ?? "") : ""
        let name = Self.name(object)
        let requested: [PolicyRule]
        if isBinding {
            if old != nil { return }  // roleRef is unchanged; subjects may change freely with update rights
            let roleKind = object[path: ["roleRef", "kind"]]?.stringValue ?? ""
            let roleName = object[path: ["roleRef", "name"]]?.stringValue ?? ""
            let bind = AuthorizationAttributes(user: user, verb: "bind", namespace: namespace, apiGroup: Self.rbacGroup,
                                               resource: roleKind == "Role" ? "roles" : "clusterroles", name: roleName)
            if await authorizer.authorize(bind).allowed { return }
            guard let role = await referencedRole(kind: roleKind, name: roleName, namespace: namespace) else {
                let resource = roleKind == "Role" ? "role" : "clusterrole"
                throw ForbiddenError.forbidden(group: info.group, resource: info.resource, name: name,
                                               "\(resource).\(Self.rbacGroup) \"\(roleName)\" not found")
            }
            requested = RBACSnapshot.rules(of: role)
        } else {
            if let old, old["rules"] == object["rules"], old["aggregationRule"] == object["aggregationRule"] { return }
            let escalate = AuthorizationAttributes(user: user, verb: "escalate", namespace: namespace, apiGroup: Self.rbacGroup,
                                                   resource: info.resource, name: name)
            if await authorizer.authorize(escalate).allowed { return }
            if object["aggregationRule"] != nil && object["aggregationRule"] != .null {
                throw ForbiddenError.forbidden(group: info.group, resource: info.resource, name: name,
                                               "must have cluster-admin privileges to use the aggregationRule")
            }
            requested = RBACSnapshot.rules(of: object)
        }
        let owned = await authorizer.rules(for: user, namespace: namespace) ?? []
        let missing = RuleCoverage.uncovered(owner: owned, requested: requested)
        guard !missing.isEmpty else { return }
        let descriptions = Set(missing.map(RuleCoverage.describe)).sorted()
        let groups = "[" + user.groups.map { "\"\($0)\"" }.joined(separator: " ") + "]"
        throw ForbiddenError.forbidden(
            group: info.group, resource: info.resource, name: name,
            "user \"\(user.name)\" (groups=\(groups)) is attempting to grant RBAC permissions not currently held:\n"
                + descriptions.joined(separator: "\n"))
    }

    private func referencedRole(kind: String, name: String, namespace: String) async -> JSONValue? {
        let key = kind == "Role"
            ? "\(StorageKeys.resourcePrefix(group: Self.rbacGroup, resource: "roles"))\(namespace)/\(name)"
            : "\(StorageKeys.resourcePrefix(group: Self.rbacGroup, resource: "clusterroles"))\(name)"
        return await cache.get(key: key)?.object
    }

    private static func name(_ object: JSONValue) -> String {
        object[path: ["metadata", "name"]]?.stringValue ?? ""
    }

    private static func roleRefText(_ object: JSONValue) -> String {
        let ref = object["roleRef"] ?? [:]
        return "rbac.RoleRef{APIGroup:\"\(ref["apiGroup"]?.stringValue ?? "")\", Kind:\"\(ref["kind"]?.stringValue ?? "")\", "
            + "Name:\"\(ref["name"]?.stringValue ?? "")\"}"
    }
}
