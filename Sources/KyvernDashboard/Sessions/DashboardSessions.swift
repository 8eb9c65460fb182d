import Foundation

/// One-time login codes and the sessions they become.
///
/// `kyvern dashboard` asks (as the kubeconfig's user) for a code; the printed link carries it in
/// the URL fragment, which browsers never send to a server or log. The page posts the code once
/// and gets a session token, kept in the tab's `sessionStorage` and presented as a bearer token on
/// every API call, so the API's own authorization decides what the page may do. A code lives a
/// minute and works once; a session ends at logout or after ``sessionLifetime``. Both live only
/// in this server's memory: a restart logs everyone out, which is the safe failure.
public actor DashboardSessions {
    public static let tokenPrefix = "kyvern-dashboard."

    struct Code {
        var user: DashboardUser
        var expires: ContinuousClock.Instant
    }

    struct Session {
        var user: DashboardUser
        var expires: ContinuousClock.Instant
    }

    public let codeLifetime: Duration
    public let sessionLifetime: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var codes: [String: Code] = [:]
    private var sessions: [String: Session] = [:]
    /// Outstanding codes beyond which the oldest are dropped (a flood of requests cannot grow memory).
    private let maxCodes = 1000

    public init(codeLifetime: Duration = .seconds(60), sessionLifetime: Duration = .seconds(8 * 3600),
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.codeLifetime = codeLifetime
        self.sessionLifetime = sessionLifetime
        self.now = now
    }

    /// A new single-use code that logs in as `user`.
    public func issueCode(for user: DashboardUser) -> String {
        let instant = now()
        codes = codes.filter { $0.value.expires > instant }
        if codes.count >= maxCodes, let oldest = codes.min(by: { $0.value.expires < $1.value.expires })?.key {
            codes[oldest] = nil
        }
        let code = Self.randomToken()
        codes[code] = Code(user: user, expires: instant + codeLifetime)
        return code
    }

    /// Exchanges a code for a session token; nil if the code is unknown, used or expired.
    public func redeem(code: String) -> (token: String, user: DashboardUser)? {
        guard let entry = codes.removeValue(forKey: code), entry.expires > now() else { return nil }
        let token = Self.tokenPrefix + Self.randomToken()
        sessions[token] = Session(user: entry.user, expires: now() + sessionLifetime)
        return (token, entry.user)
    }

    /// The user of a live session token.
    public func user(token: String) -> DashboardUser? {
        guard token.hasPrefix(Self.tokenPrefix), let session = sessions[token] else { return nil }
        guard session.expires > now() else {
            sessions[token] = nil
            return nil
        }
        return session.user
    }

    /// Ends a session (logout); true if it was live.
    @discardableResult
    public func revoke(token: String) -> Bool {
        sessions.removeValue(forKey: token) != nil
    }

    /// 256 random bits, base64url without padding (safe in a URL fragment and a header).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
