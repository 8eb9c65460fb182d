import KyvernAPI

/// Upstream's impersonation: `Impersonate-User`, `-Uid`, `-Group` and `-Extra-<key>` headers make
/// the request act as another user, each allowed only by the `impersonate` verb on `users`
/// (or `serviceaccounts`), `uids`, `groups` and `userextras/<key>`.
enum Impersonation {
    /// The headers of a request that concern impersonation.
    struct Request: Sendable {
        var user: String?
        var uid: String?
        var groups: [String] = []
        var extra: [String: [String]] = [:]

        var isEmpty: Bool { user == nil && uid == nil && groups.isEmpty && extra.isEmpty }
    }

    /// Reads the headers (name, value) of a request.
    static func request(headers: [(name: String, value: String)]) -> Request {
        var request = Request()
        for (name, value) in headers {
            let lower = name.lowercased()
            switch lower {
            case "impersonate-user": request.user = value
            case "impersonate-uid": request.uid = value
            case "impersonate-group": request.groups.append(value)
            default:
                let prefix = "impersonate-extra-"
                if lower.hasPrefix(prefix) {
                    let key = QueryParameters.decode(Substring(lower.dropFirst(prefix.count))) ?? String(lower.dropFirst(prefix.count))
                    request.extra[key, default: []].append(value)
                }
            }
        }
        return request
    }

    /// The user to act as, once the requester is allowed to impersonate every part of it.
    static func resolve(_ request: Request, requester: UserInfo, authorizer: Authorizer) async throws -> UserInfo {
        guard !request.isEmpty else { return requester }
        guard let name = request.user, !name.isEmpty else {
            throw APIError.badRequest("requested \(describe(request)) without impersonating a user")
        }
        func check(_ resource: String, subresource: String = "", namespace: String = "", _ value: String) async throws {
            let attributes = AuthorizationAttributes(user: requester, verb: "impersonate", namespace: namespace,
                                                     apiGroup: ["uids", "userextras"].contains(resource) ? "authentication.k8s.io" : "",
                                                     resource: resource, subresource: subresource, name: value)
            try await authorizer.require(attributes)
        }
        var groups = request.groups
        let serviceAccountPrefix = "system:serviceaccount:"
        if name.hasPrefix(serviceAccountPrefix) {
            let parts = name.dropFirst(serviceAccountPrefix.count).split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw APIError.badRequest("invalid service account name \"\(name)\"") }
            try await check("serviceaccounts", namespace: parts[0], parts[1])
            if request.groups.isEmpty {
                groups = ["system:serviceaccounts", "system:serviceaccounts:\(parts[0])"]
            }
        } else {
            try await check("users", name)
        }
        for group in request.groups { try await check("groups", group) }
        if let uid = request.uid { try await check("uids", uid) }
        for (key, values) in request.extra.sorted(by: { $0.key < $1.key }) {
            for value in values { try await check("userextras", subresource: key, value) }
        }
        if name != UserInfo.anonymous.name, !groups.contains("system:authenticated") {
            groups.append("system:authenticated")
        }
        return UserInfo(name: name, uid: request.uid ?? "", groups: groups, extra: request.extra)
    }

    private static func describe(_ request: Request) -> String {
        var parts: [String] = request.groups.map { "{Group  \($0)}" }
        if let uid = request.uid { parts.append("{UID  \(uid)}") }
        for (key, values) in request.extra.sorted(by: { $0.key < $1.key }) {
            parts += values.map { "{UserExtra \(key) \($0)}" }
        }
        return "[\(parts.joined(separator: " "))]"
    }
}
