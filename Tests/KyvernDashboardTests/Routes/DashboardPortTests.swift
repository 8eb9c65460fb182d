import Foundation
import Testing
@testable import KyvernDashboard

@Suite struct DashboardPortTests {
    let admin = DashboardUser(name: "kyvern-admin", groups: ["system:masters"])

    func issue(_ routes: DashboardRoutes) async throws -> [String: Any] {
        let response = try await routes.respond(DashboardRoutes.Request(
            method: "POST", segments: ["login-codes"], user: { [admin] in admin }))
        #expect(response.status == 201)
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func aLoginCodeNamesTheDashboardPortWhenTheServerHasOne() async throws {
        var routes = DashboardRoutes(sessions: DashboardSessions())
        routes.dashboardPort = 8443
        let answer = try await issue(routes)
        #expect(answer["dashboardPort"] as? Int == 8443)
        #expect(answer["code"] as? String != nil)
    }

    @Test func withoutADashboardPortTheAnswerHasNone() async throws {
        let answer = try await issue(DashboardRoutes(sessions: DashboardSessions()))
        #expect(answer["dashboardPort"] == nil)
    }
}
