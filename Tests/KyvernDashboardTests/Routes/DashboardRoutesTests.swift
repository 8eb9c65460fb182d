import Foundation
import Testing
@testable import KyvernDashboard

struct Refused: Error {}

@Suite struct DashboardRoutesTests {
    let admin = DashboardUser(name: "kyvern-admin", groups: ["system:masters"])

    func request(_ method: String, _ path: String, body: String = "", bearer: String? = nil,
                 user: DashboardUser? = nil) -> DashboardRoutes.Request {
        DashboardRoutes.Request(method: method, segments: path.split(separator: "/").map(String.init), body: Array(body.utf8),
                                bearerToken: bearer, user: { if let user { return user }; throw Refused() })
    }

    func json(_ response: DashboardRoutes.Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    func header(_ response: DashboardRoutes.Response, _ name: String) -> String? {
        response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func thePageAndItsAssetsAreServedWithTheirTypesAndAStrictPolicy() async throws {
        let routes = DashboardRoutes(sessions: DashboardSessions())
        for (path, type, needle) in [("", "text/html", "<script src=\"app.js\""), ("app.js", "text/javascript", "base64url.bearer.authorization.k8s.io."),
                                     ("app.css", "text/css", "prefers-color-scheme")] {
            let response = try await routes.respond(request("GET", path))
            #expect(response.status == 200)
            #expect(header(response, "Content-Type")?.hasPrefix(type) == true)
            #expect(String(decoding: response.body, as: UTF8.self).contains(needle))
            #expect(header(response, "Content-Security-Policy")?.contains("default-src 'self'") == true)
        }
        #expect(try await routes.respond(request("GET", "missing.js")).status == 404)
    }

    @Test func thePathWithoutItsSlashRedirects() async throws {
        let routes = DashboardRoutes(sessions: DashboardSessions())
        var bare = request("GET", "")
        bare.bare = true
        let response = try await routes.respond(bare)
        #expect(response.status == 301)
        #expect(header(response, "Location") == "/dashboard/")
    }

    @Test func aLoginCodeIsIssuedToTheRequesterAndExchangedOnceForASession() async throws {
        let sessions = DashboardSessions()
        let routes = DashboardRoutes(sessions: sessions)
        let issued = try await routes.respond(request("POST", "login-codes", user: admin))
        #expect(issued.status == 201)
        let code = try #require(try json(issued)["code"] as? String)
        let exchanged = try await routes.respond(request("POST", "session", body: #"{"code":"\#(code)"}"#))
        #expect(exchanged.status == 201)
        #expect(header(exchanged, "Cache-Control") == "no-store")
        let token = try #require(try json(exchanged)["token"] as? String)
        #expect(await sessions.user(token: token) == admin)
        let again = try await routes.respond(request("POST", "session", body: #"{"code":"\#(code)"}"#))
        #expect(again.status == 401)
        #expect(try json(again)["kind"] as? String == "Status")
        let loggedOut = try await routes.respond(request("DELETE", "session", bearer: token))
        #expect(loggedOut.status == 200)
        #expect(await sessions.user(token: token) == nil)
    }

    @Test func aCodeNeedsAnAuthorizedRequester() async throws {
        let routes = DashboardRoutes(sessions: DashboardSessions())
        await #expect(throws: Refused.self) { try await routes.respond(request("POST", "login-codes")) }
        #expect(try await routes.respond(request("POST", "session", body: "{}")).status == 400)
        #expect(try await routes.respond(request("PUT", "session")).status == 405)
    }
}
