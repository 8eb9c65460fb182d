import Testing
@testable import KyvernAPIServer

@Suite struct BearerTokenParsingTests {
    @Test func readsTheTokenOfABearerCredentialWhateverTheSchemesCaseAndBlanks() {
        #expect(BearerTokenAuthenticator.bearerToken(in: "Bearer abc.def") == "abc.def")
        #expect(BearerTokenAuthenticator.bearerToken(in: "bearer abc") == "abc")
        #expect(BearerTokenAuthenticator.bearerToken(in: "BEARER\tabc") == "abc")
        #expect(BearerTokenAuthenticator.bearerToken(in: "  Bearer   abc \t") == "abc")
        let jwt = String(repeating: "eyJhbGciOiJSUzI1NiJ9", count: 50)
        #expect(BearerTokenAuthenticator.bearerToken(in: "Bearer " + jwt).map(String.init) == jwt)
    }

    @Test func refusesOtherSchemesEmptyTokensAndInnerBlanks() {
        #expect(BearerTokenAuthenticator.bearerToken(in: "Basic dXNlcjpwdw==") == nil)
        #expect(BearerTokenAuthenticator.bearerToken(in: "Bearer") == nil)
        #expect(BearerTokenAuthenticator.bearerToken(in: "Bearer   ") == nil)
        #expect(BearerTokenAuthenticator.bearerToken(in: "Bearerabc") == nil)
        #expect(BearerTokenAuthenticator.bearerToken(in: "Bearer a b") == nil)
        #expect(BearerTokenAuthenticator.bearerToken(in: "Bearér abc") == nil)
        #expect(BearerTokenAuthenticator.bearerToken(in: "") == nil)
    }
}
