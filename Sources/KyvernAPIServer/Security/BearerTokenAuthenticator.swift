import Crypto

/// Authenticates a request by its `Authorization: Bearer <token>` header against static tokens.
///
/// Every known token is compared, each in constant time over SHA-256 digests, so neither the
/// position of a mismatch nor the length of the presented token shows in the timing.
public struct BearerTokenAuthenticator: Sendable {
    private struct Entry: Sendable {
        var digest: [UInt8]
        var user: UserInfo
    }

    private let entries: [Entry]

    /// An authenticator knowing only the admin token, which maps to ``UserInfo/clusterAdmin``.
    public init(adminToken: String) {
        self.init(tokens: [adminToken: .clusterAdmin])
    }

    /// An authenticator for a table of tokens. Empty tokens are ignored.
    public init(tokens: [String: UserInfo]) {
        self.entries = tokens
            .filter { !$0.key.isEmpty }
            .map { Entry(digest: Self.digest($0.key), user: $0.value) }
    }

    /// The user the header's bearer token belongs to, or nil if it is absent, malformed or unknown.
    ///
    /// - Parameter authorizationHeader: the value of the `Authorization` header, e.g. `Bearer 3f2a…`.
    ///   The scheme is matched case-insensitively, as RFC 9110 asks.
    public func authenticate(authorizationHeader: String?) -> UserInfo? {
        guard let header = authorizationHeader, let token = Self.bearerToken(in: header) else {
            return nil
        }
        let presented = Self.digest(token)
        var match: UserInfo?
        for entry in self.entries where Self.constantTimeEqual(entry.digest, presented) {
            match = entry.user
        }
        return match
    }

    /// The token of a `Bearer` credential, or nil for another scheme or an empty token.
    static func bearerToken(in header: String) -> Substring? {
        let trimmed = header.drop(while: { $0 == " " || $0 == "\t" })
        let scheme = "bearer"
        guard trimmed.count > scheme.count,
            trimmed.prefix(scheme.count).lowercased() == scheme
        else { return nil }
        let rest = trimmed.dropFirst(scheme.count)
        guard let separator = rest.first, separator == " " || separator == "\t" else { return nil }
        var token = rest.drop(while: { $0 == " " || $0 == "\t" })
        while let last = token.last, last == " " || last == "\t" {
            token = token.dropLast()
        }
        guard !token.isEmpty, !token.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        return token
    }

    private static func digest(_ token: some StringProtocol) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}
