import Testing
@testable import KyvernAPIServer

@Suite struct WebSocketBearerTokenTests {
    @Test func aTokenOfferedAsASubprotocolBecomesTheBearerCredential() {
        // "kyvern-dashboard.abc-_" base64url-encoded without padding.
        let offered = ["v5.channel.k8s.io", "base64url.bearer.authorization.k8s.io.a3l2ZXJuLWRhc2hib2FyZC5hYmMtXw"]
        #expect(WebSocketBearerToken.authorizationHeader(offered: offered) == "Bearer kyvern-dashboard.abc-_")
    }

    @Test func noSuchSubprotocolLeavesTheRequestWithoutCredentials() {
        #expect(WebSocketBearerToken.authorizationHeader(offered: ["v4.channel.k8s.io"]) == nil)
    }

    @Test func aMalformedOrRepeatedTokenIsRefusedNotIgnored() {
        let prefix = WebSocketBearerToken.prefix
        for offered in [[prefix], [prefix + "!!!"], [prefix + "YQ==", "v5.channel.k8s.io"], [prefix + "YQ", prefix + "Yg"],
                        [prefix + "YSBi"]] {  // "a b": a space is no token
            let header = WebSocketBearerToken.authorizationHeader(offered: offered)
            #expect(header == "Bearer ", "\(offered)")
            #expect(BearerTokenAuthenticator.bearerToken(in: header ?? "") == nil)
        }
    }
}
