/// A component served on the API port under its own first path segment, outside the Kubernetes
/// API (the dashboard at `/dashboard/`). The composition root supplies it, so the API server
/// knows nothing of what it serves; such a path is reached before authentication, because a
/// browser must load the page before it has a credential, and the mount asks for the user only
/// where it needs one.
public struct PathMount: Sendable {
    /// The first path segment, e.g. `dashboard`.
    public var prefix: String
    public var respond: @Sendable (PathMountRequest) async throws -> PathMountResponse

    public init(prefix: String, respond: @escaping @Sendable (PathMountRequest) async throws -> PathMountResponse) {
        self.prefix = prefix
        self.respond = respond
    }
}

/// What a mount sees of a request.
public struct PathMountRequest: Sendable {
    public var method: String
    /// The segments after the prefix (`["app.js"]` for `/dashboard/app.js`).
    public var segments: [String]
    /// Whether the path ended with the prefix alone, without a slash (`/dashboard`).
    public var bare: Bool
    public var contentType: String?
    public var body: [UInt8]
    /// The user, authenticated and authorized as a non-resource request for this path (RBAC's
    /// `nonResourceURLs`); throws 401 or 403 as the API would.
    public var user: @Sendable () async throws -> UserInfo
    /// Authorizes the same requester for a GET of an API path (`/apis/...`) as if they had sent it;
    /// throws 401 or 403 as the API would.
    public var admitGet: @Sendable (_ apiPath: String) async throws -> UserInfo
    /// The bearer token the request presented, if any (to end a session).
    public var bearerToken: String?
}

/// What a mount answers.
public struct PathMountResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
