import Foundation
import KyvernAPI

/// The create-only review resources, answered from the authenticator and authorizer and never
/// stored: SelfSubjectAccessReview, SubjectAccessReview and LocalSubjectAccessReview (`kubectl
/// auth can-i`), SelfSubjectRulesReview (`can-i --list`) and SelfSubjectReview (`auth whoami`).
struct AccessReviews: Sendable {
    let authorizer: Authorizer

    static func handles(_ target: RequestTarget) -> Bool {
        guard target.name == nil, target.subresource == nil else { return false }
        switch (target.group, target.resource) {
        case ("authorization.k8s.io", "selfsubjectaccessreviews"), ("authorization.k8s.io", "subjectaccessreviews"),
             ("authorization.k8s.io", "localsubjectaccessreviews"), ("authorization.k8s.io", "selfsubjectrulesreviews"),
             ("authentication.k8s.io", "selfsubjectreviews"):
            return true
        default:
            return false
        }
    }

    /// The review with its `status` filled in (201), or a Status error.
    func respond(method: String, target: RequestTarget, body: [UInt8], contentType: String?, user: UserInfo) async throws
        -> [UInt8]
    {
        guard method == "POST" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let kind = Self.kind(target.resource)
        var review = try BodyDecoder.decode(body, contentType: contentType, what: kind)
        guard review.objectValue != nil else {
            throw APIError.badRequest("the body of the request was in an unknown format - accepted media types include: "
                                      + "application/json, application/yaml, application/vnd.kubernetes.protobuf")
        }
        review["apiVersion"] = .string("\(target.group)/\(target.version)")
        review["kind"] = .string(kind)
        var metadata = review["metadata"]?.objectValue ?? [:]
        metadata["creationTimestamp"] = .null
        review["metadata"] = .object(metadata)
        switch target.resource {
        case "selfsubjectreviews":
            review["status"] = ["userInfo": Self.userInfoJSON(user, nameKey: "username")]
        case "selfsubjectrulesreviews":
            let namespace = review[path: ["spec", "namespace"]]?.stringValue ?? ""
            review["status"] = await rulesStatus(user: user, namespace: namespace)
        default:
            var subject = user
            if target.resource != "selfsubjectaccessreviews" {
                subject = try Self.subject(of: review, kind: kind)
            }
            let attributes = try Self.attributes(of: review, user: subject, kind: kind, pathNamespace: target.namespace)
            let decision = await authorizer.authorize(attributes)
            var status: [String: JSONValue] = ["allowed": .bool(decision.allowed)]
            if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
            review["status"] = .object(status)
        }
        return review.serialized()
    }

    static func kind(_ resource: String) -> String {
        switch resource {
        case "selfsubjectaccessreviews": "SelfSubjectAccessReview"
        case "subjectaccessreviews": "SubjectAccessReview"
        case "localsubjectaccessreviews": "LocalSubjectAccessReview"
        case "selfsubjectrulesreviews": "SelfSubjectRulesReview"
        default: "SelfSubjectReview"
        }
    }

    static func userInfoJSON(_ user: UserInfo, nameKey: String) -> JSONValue {
        var info: [String: JSONValue] = [nameKey: .string(user.name), "groups": .array(user.groups.map { .string($0) })]
        if !user.uid.isEmpty { info["uid"] = .string(user.uid) }
        if !user.extra.isEmpty {
            info["extra"] = .object(user.extra.mapValues { .array($0.map { .string($0) }) })
        }
        return .object(info)
    }

    /// The user a SubjectAccessReview asks about.
    static func subject(of review: JSONValue, kind: String) throws -> UserInfo {
        let spec = review["spec"] ?? [:]
        let name = spec["user"]?.stringValue ?? ""
        let groups = spec["groups"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard !name.isEmpty || !groups.isEmpty else {
            throw APIError.invalid(group: "authorization.k8s.io", kind: kind, name: "", causes: [
                .init(type: "FieldValueRequired", message: "Required value: at least one of user or group must be specified",
                      field: "spec.user,spec.groups")])
        }
        var extra: [String: [String]] = [:]
        for (key, values) in spec["extra"]?.objectValue ?? [:] {
            extra[key] = values.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return UserInfo(name: name, uid: spec["uid"]?.stringValue ?? "", groups: groups, extra: extra)
    }

    static func attributes(of review: JSONValue, user: UserInfo, kind: String, pathNamespace: String?) throws
        -> AuthorizationAttributes
    {
        let spec = review["spec"] ?? [:]
        if let resource = spec["resourceAttributes"], resource.objectValue != nil {
            let namespace = resource["namespace"]?.stringValue ?? ""
            if let pathNamespace, namespace != pathNamespace {
                throw APIError.invalid(group: "authorization.k8s.io", kind: kind, name: "", causes: [
                    .init(type: "FieldValueInvalid",
                          message: "Invalid value: \"\(namespace)\": must match metadata.namespace",
                          field: "spec.resourceAttributes.namespace")])
            }
            return AuthorizationAttributes(
                user: user, verb: resource["verb"]?.stringValue ?? "", namespace: namespace,
                apiGroup: resource["group"]?.stringValue ?? "", apiVersion: resource["version"]?.stringValue ?? "",
                resource: resource["resource"]?.stringValue ?? "", subresource: resource["subresource"]?.stringValue ?? "",
                name: resource["name"]?.stringValue ?? "")
        }
        if let nonResource = spec["nonResourceAttributes"], nonResource.objectValue != nil {
            return AuthorizationAttributes(user: user, verb: nonResource["verb"]?.stringValue ?? "",
                                           path: nonResource["path"]?.stringValue ?? "")
        }
        throw APIError.invalid(group: "authorization.k8s.io", kind: kind, name: "", causes: [
            .init(type: "FieldValueRequired",
                  message: "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
                  field: "spec.resourceAttributes")])
    }

    /// What the user may do in the namespace: its rules split into resource and non-resource rules.
    func rulesStatus(user: UserInfo, namespace: String) async -> JSONValue {
        let rules = await authorizer.rbac.rules(for: user, namespace: namespace)
        var resourceRules: [JSONValue] = []
        var nonResourceRules: [JSONValue] = []
        for rule in rules {
            if !rule.nonResourceURLs.isEmpty {
                nonResourceRules.append(["verbs": .array(rule.verbs.map { .string($0) }),
                                         "nonResourceURLs": .array(rule.nonResourceURLs.map { .string($0) })])
            }
            if !rule.resources.isEmpty {
                var json: [String: JSONValue] = ["verbs": .array(rule.verbs.map { .string($0) }),
                                                 "apiGroups": .array(rule.apiGroups.map { .string($0) }),
                                                 "resources": .array(rule.resources.map { .string($0) })]
                if !rule.resourceNames.isEmpty { json["resourceNames"] = .array(rule.resourceNames.map { .string($0) }) }
                resourceRules.append(.object(json))
            }
        }
        return ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": false]
    }
}
