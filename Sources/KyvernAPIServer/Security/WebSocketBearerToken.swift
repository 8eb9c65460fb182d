import Foundation

/// Upstream's WebSocket protocol authenticator: a browser cannot set `Authorization` on a
/// WebSocket, so it offers the token as a subprotocol `base64url.bearer.authorization.k8s.io.<token>`
/// (the token base64url-encoded without padding). The API server never selects that subprotocol,
/// so the token is not echoed back.
enum WebSocketBearerToken {
    static let prefix = "base64url.bearer.authorization.k8s.io."

    /// The `Authorization` value the offered subprotocols stand for: nil when none carries a token,
    /// an empty `Bearer` (refused as 401) when one is malformed or several are offered.
    static func authorizationHeader(offered protocols: [String]) -> String? {
        let carrying = protocols.filter { $0.hasPrefix(prefix) }
        guard !carrying.isEmpty else { return nil }
        guard carrying.count == 1, let token = decode(String(carrying[0].dropFirst(prefix.count))), !token.isEmpty,
              !token.contains(where: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }) else {
            return "Bearer "
        }
        return "Bearer \(token)"
    }

    /// Unpadded base64url to text.
    static func decode(_ encoded: String) -> String? {
        guard !encoded.isEmpty, !encoded.contains("=") else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
