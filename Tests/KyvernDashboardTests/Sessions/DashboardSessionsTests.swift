import Foundation
import Testing
@testable import KyvernDashboard

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Duration = .zero
    private let start = ContinuousClock.now
    var now: ContinuousClock.Instant {
        lock.lock()
        defer { lock.unlock() }
        return start + offset
    }

    func advance(_ by: Duration) {
        lock.lock()
        offset += by
        lock.unlock()
    }
}

@Suite struct DashboardSessionsTests {
    let admin = DashboardUser(name: "kyvern-admin", groups: ["system:masters", "system:authenticated"])

    @Test func aCodeBecomesASessionForItsUserOnce() async throws {
        let sessions = DashboardSessions()
        let code = await sessions.issueCode(for: admin)
        let redeemed = try #require(await sessions.redeem(code: code))
        #expect(redeemed.user == admin)
        #expect(redeemed.token.hasPrefix(DashboardSessions.tokenPrefix))
        #expect(await sessions.user(token: redeemed.token) == admin)
        #expect(await sessions.redeem(code: code)?.token == nil, "a code works only once")
    }

    @Test func codesAndTokensAreRandomAndLong() async {
        let sessions = DashboardSessions()
        let codes = await (0..<20).asyncMap { _ in await sessions.issueCode(for: admin) }
        #expect(Set(codes).count == 20)
        #expect(codes.allSatisfy { $0.count == 43 && !$0.contains("=") && !$0.contains("+") && !$0.contains("/") })
    }

    @Test func anExpiredCodeIsRefused() async {
        let clock = ManualClock()
        let sessions = DashboardSessions(codeLifetime: .seconds(60), now: { clock.now })
        let code = await sessions.issueCode(for: admin)
        clock.advance(.seconds(61))
        #expect(await sessions.redeem(code: code)?.token == nil)
    }

    @Test func aSessionEndsAtItsLifetimeAndAtLogout() async throws {
        let clock = ManualClock()
        let sessions = DashboardSessions(sessionLifetime: .seconds(3600), now: { clock.now })
        let first = try #require(await sessions.redeem(code: await sessions.issueCode(for: admin)))
        let second = try #require(await sessions.redeem(code: await sessions.issueCode(for: admin)))
        #expect(await sessions.revoke(token: first.token))
        #expect(await sessions.user(token: first.token) == nil)
        #expect(await sessions.user(token: second.token) == admin)
        clock.advance(.seconds(3601))
        #expect(await sessions.user(token: second.token) == nil)
    }

    @Test func anUnknownOrForeignTokenIsNobody() async {
        let sessions = DashboardSessions()
        #expect(await sessions.user(token: "kyvern-dashboard.nope") == nil)
        #expect(await sessions.user(token: "eyJhbGciOi.jwt.token") == nil)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        for element in self { out.append(await transform(element)) }
        return out
    }
}
