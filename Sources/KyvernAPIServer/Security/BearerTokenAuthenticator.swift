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
    ///
    /// Scans UTF-8 bytes, not Characters: a ServiceAccount JWT is about a kilobyte, and every request
    /// carrying one passes through here.
    static func bearerToken(in header: String) -> Substring? {
        let bytes = header.utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var index = bytes.startIndex
        while index < bytes.endIndex, isBlank(bytes[index]) { index = bytes.index(after: index) }
        for expected in "bearer".utf8 {
            guard index < bytes.endIndex, bytes[index] | 0x20 == expected else { return nil }
            index = bytes.index(after: index)
        }
        guard index < bytes.endIndex, isBlank(bytes[index]) else { return nil }
        while index < bytes.endIndex, isBlank(bytes[index]) { index = bytes.index(after: index) }
        var end = bytes.endIndex
        while end > index, isBlank(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        guard index < end, !bytes[index..<end].contains(where: isBlank) else { return nil }
        return header[index..<end]
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
