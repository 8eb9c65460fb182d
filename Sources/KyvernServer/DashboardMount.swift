import KyvernAPIServer
import KyvernDashboard

/// Mounts the dashboard at `/dashboard/` on the API port, and lets its session tokens
/// authenticate API requests as the user who asked for the login code.
enum DashboardMount {
    /// Returns the metrics history the routes serve, for ``DashboardMetricsSampler`` to fill.
    @discardableResult
    static func install(into configuration: inout APIServerConfiguration, sessions: DashboardSessions = DashboardSessions(),
                        history: DashboardMetricsHistory = DashboardMetricsHistory(interval: DashboardMetricsSampler.interval()))
        -> DashboardMetricsHistory
    {
        let routes = { [port = configuration.dashboardPort] in
            var routes = DashboardRoutes(sessions: sessions, history: history)
            routes.dashboardPort = port
            return routes
        }()
        configuration.mounts.append(PathMount(prefix: DashboardRoutes.prefix) { request in
            let answer = try await routes.respond(DashboardRoutes.Request(
                method: request.method, segments: request.segments, bare: request.bare, body: request.body,
                bearerToken: request.bearerToken,
                user: {
                    let user = try await request.user()
                    return DashboardUser(name: user.name, uid: user.uid, groups: user.groups, extra: user.extra)
                },
                admitGet: { path in _ = try await request.admitGet(path) }))
            return PathMountResponse(status: answer.status, headers: answer.headers, body: answer.body)
        })
        configuration.extraTokenAuthenticators.append(DashboardSessionAuthenticator(sessions: sessions))
        return history
    }
}

/// A dashboard session token stands for the user it was issued to.
struct DashboardSessionAuthenticator: TokenAuthenticator {
    let sessions: DashboardSessions

    func authenticate(token: String) async -> UserInfo? {
        guard token.hasPrefix(DashboardSessions.tokenPrefix), let user = await sessions.user(token: token) else { return nil }
        return UserInfo(name: user.name, uid: user.uid, groups: user.groups, extra: user.extra)
    }
}
