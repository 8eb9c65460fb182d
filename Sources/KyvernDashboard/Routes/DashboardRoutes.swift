import Foundation

/// The dashboard's own HTTP surface under `/dashboard/`: the assets, the login-code exchange and
/// logout. Everything else the page does goes straight to the Kubernetes API as the logged-in user.
public struct DashboardRoutes: Sendable {
    public struct Request: Sendable {
        public var method: String
        /// Path segments after `/dashboard`.
        public var segments: [String]
        /// `/dashboard` without the trailing slash (relative asset URLs need it).
        public var bare: Bool
        public var body: [UInt8]
        public var bearerToken: String?
        /// The authenticated, authorized requester (throws the API's 401/403).
        public var user: @Sendable () async throws -> DashboardUser
        /// Authorizes the requester for a GET of an API path as if they had sent it (throws the API's
        /// 401/403), so what the dashboard serves from its own memory follows the same RBAC.
        public var admitGet: @Sendable (_ apiPath: String) async throws -> Void

        public init(method: String, segments: [String], bare: Bool = false, body: [UInt8] = [], bearerToken: String? = nil,
                    user: @escaping @Sendable () async throws -> DashboardUser,
                    admitGet: @escaping @Sendable (_ apiPath: String) async throws -> Void = { _ in throw NotAdmitted() }) {
            self.method = method
            self.segments = segments
            self.bare = bare
            self.body = body
            self.bearerToken = bearerToken
            self.user = user
            self.admitGet = admitGet
        }
    }

    /// What an unwired ``Request/admitGet`` answers: nothing is served.
    public struct NotAdmitted: Error {
        public init() {}
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
    }

    public static let prefix = "dashboard"
    public let sessions: DashboardSessions
    /// CPU and memory use over the last hour (nil: no charts).
    public let history: DashboardMetricsHistory?
    /// `--dashboard-port`, told to `kyvern dashboard` with each login code so it links there.
    public var dashboardPort: Int?

    public init(sessions: DashboardSessions, history: DashboardMetricsHistory? = nil) {
        self.sessions = sessions
        self.history = history
    }

    /// Strict by default: only this origin's script and style, no framing, no referrer leaking a URL.
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy",
         "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]

    public func respond(_ request: Request) async throws -> Response {
        if request.bare {
            return Response(status: 301, headers: [("Location", "/dashboard/")], body: [])
        }
        let path = request.segments.joined(separator: "/")
        if request.method == "GET", request.segments.first == "metrics" {
            return try await metrics(request, path: Array(request.segments.dropFirst()))
        }
        switch (request.method, path) {
        case ("GET", _), ("HEAD", _):
            guard let asset = DashboardAssets.asset(at: path) else { return Self.status(404, "NotFound", "the dashboard has no \(path)") }
            return Response(status: 200, headers: [("Content-Type", asset.contentType), ("Cache-Control", "no-cache")] + Self.securityHeaders,
                            body: request.method == "HEAD" ? [] : Array(asset.text.utf8))
        case ("POST", "login-codes"):
            // RBAC decides who may ask (non-resource URL /dashboard/login-codes, verb post).
            let user = try await request.user()
            let code = await sessions.issueCode(for: user)
            var answer: [String: Any] = ["code": code, "user": user.name,
                                         "expiresInSeconds": Int(sessions.codeLifetime.components.seconds)]
            if let dashboardPort { answer["dashboardPort"] = dashboardPort }
            return Self.json(201, answer)
        case ("POST", "session"):
            guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
                  let code = object["code"] as? String, !code.isEmpty else {
                return Self.status(400, "BadRequest", "a login code is required")
            }
            guard let session = await sessions.redeem(code: code) else {
                return Self.status(401, "Unauthorized", "the login code is unknown, used or expired; run `kyvern dashboard` again")
            }
            return Self.json(201, ["token": session.token, "user": session.user.name])
        case ("DELETE", "session"):
            if let token = request.bearerToken { await sessions.revoke(token: token) }
            return Self.json(200, ["loggedOut": true])
        default:
            return Self.status(405, "MethodNotAllowed", "\(request.method) is not allowed on /dashboard/\(path)")
        }
    }

    static func json(_ status: Int, _ object: [String: Any]) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                        body: Array(body))
    }

    /// A Kubernetes `Status`, so the page shows every failure the same way.
    static func status(_ code: Int, _ reason: String, _ message: String) -> Response {
        json(code, ["kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure",
                    "message": message, "reason": reason, "code": code])
    }
}
