public import KyvernAPI

/// Upstream's 403 for a request no authorizer allowed, word for word:
/// `pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "default"`.
enum ForbiddenError {
    static func make(_ request: AuthorizationAttributes, reason: String = "") -> APIError {
        var message: String
        if request.isResourceRequest {
            let scope = request.namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(request.namespace)\""
            message = "User \"\(request.user.name)\" cannot \(request.verb) resource \"\(request.combinedResource)\" "
                + "in API group \"\(request.apiGroup)\" \(scope)"
        } else {
            message = "User \"\(request.user.name)\" cannot \(request.verb) path \"\(request.path)\""
        }
        if !reason.isEmpty { message += ": \(reason)" }
        return forbidden(group: request.isResourceRequest ? request.apiGroup : "",
                         resource: request.isResourceRequest ? request.resource : "", name: request.name, message)
    }

    /// `<resource>.<group> "<name>" is forbidden: <why>`, as upstream's NewForbidden words it.
    static func forbidden(group: String, resource: String, name: String, _ why: String) -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let subject: String
        if qualified.isEmpty {
            subject = "forbidden"
        } else if name.isEmpty {
            subject = "\(qualified) is forbidden"
        } else {
            subject = "\(qualified) \"\(name)\" is forbidden"
        }
        return APIError(code: 403, reason: "Forbidden", message: "\(subject): \(why)",
                        details: .init(name: name.isEmpty ? nil : name, group: group.isEmpty ? nil : group,
                                       kind: resource.isEmpty ? nil : resource))
    }
}
