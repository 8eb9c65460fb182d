/// What a request asks to do, in the terms authorizers decide on (upstream's `authorizer.Attributes`).
public struct AuthorizationAttributes: Sendable, Hashable {
    public var user: UserInfo
    /// Lower-case verb: get, list, watch, create, update, patch, delete, deletecollection, or a
    /// special verb (impersonate, bind, escalate, use, approve, sign).
    public var verb: String
    /// True for `/api`, `/apis` resource paths; false for paths such as `/healthz` or `/api` itself.
    public var isResourceRequest: Bool
    public var namespace: String
    public var apiGroup: String
    public var apiVersion: String
    public var resource: String
    public var subresource: String
    public var name: String
    /// The request path, for non-resource requests.
    public var path: String

    public init(user: UserInfo, verb: String, namespace: String = "", apiGroup: String = "", apiVersion: String = "",
                resource: String, subresource: String = "", name: String = "") {
        self.user = user
        self.verb = verb
        self.isResourceRequest = true
        self.namespace = namespace
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.resource = resource
        self.subresource = subresource
        self.name = name
        self.path = ""
    }

    public init(user: UserInfo, verb: String, path: String) {
        self.user = user
        self.verb = verb
        self.isResourceRequest = false
        self.namespace = ""
        self.apiGroup = ""
        self.apiVersion = ""
        self.resource = ""
        self.subresource = ""
        self.name = ""
        self.path = path
    }

    /// `pods` or `pods/log`, as rules name it.
    public var combinedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }
}

extension AuthorizationAttributes {
    /// The attributes of an HTTP request, as upstream's request-info resolver derives them.
    ///
    /// A namespace's own path names the namespace (`GET /api/v1/namespaces/ns` is "get namespaces ns in
    /// namespace ns"), so a Role can grant reading its own namespace.
    static func of(method: String, path: String, target: RequestTarget?, query: QueryParameters, user: UserInfo)
        -> AuthorizationAttributes
    {
        guard let target else {
            let verb: String
            switch method {
            case "POST": verb = "post"
            case "PUT": verb = "put"
            case "PATCH": verb = "patch"
            case "DELETE": verb = "delete"
            case "HEAD": verb = "head"
            default: verb = "get"
            }
            return AuthorizationAttributes(user: user, verb: verb, path: path)
        }
        let isWatch = query["watch"].map { $0 == "true" || $0 == "1" } ?? false
        let verb: String
        switch method {
        case "GET", "HEAD":
            if isWatch { verb = "watch" } else { verb = target.name == nil ? "list" : "get" }
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = target.name == nil ? "deletecollection" : "delete"
        default: verb = method.lowercased()
        }
        var attributes = AuthorizationAttributes(
            user: user, verb: verb, namespace: target.namespace ?? "", apiGroup: target.group,
            apiVersion: target.version, resource: target.resource, subresource: target.subresource ?? "",
            name: target.name ?? "")
        if target.group.isEmpty, target.resource == "namespaces", let name = target.name {
            attributes.namespace = name
        }
        // A watch of one object arrives as a list with a name field selector.
        if verb == "watch" || verb == "list", attributes.name.isEmpty,
           let selector = query["fieldSelector"], let name = Self.singleName(selector) {
            attributes.name = name
        }
        return attributes
    }

    /// `metadata.name=x` (alone) as kubectl sends for `get NAME --watch`.
    private static func singleName(_ selector: String) -> String? {
        guard !selector.contains(",") else { return nil }
        for prefix in ["metadata.name==", "metadata.name="] where selector.hasPrefix(prefix) {
            let name = String(selector.dropFirst(prefix.count))
            return name.isEmpty ? nil : name
        }
        return nil
    }
}
