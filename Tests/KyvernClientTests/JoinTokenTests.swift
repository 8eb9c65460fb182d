import Testing
@testable import KyvernClient

@Suite struct JoinTokenTests {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    @Test func roundTripsThroughItsText() throws {
        let token = JoinToken(caPEM: pem, secret: "s3cret")
        #expect(token.text.hasPrefix("K10"))
        #expect(token.text.hasSuffix("::node:s3cret"))
        #expect(try JoinToken(parsing: token.text + "\n") == token)
    }

    @Test func theHashIsTheCertificatesSHA256() {
        // The SHA-256 of "abc" (FIPS 180-2 test vector).
        let token = JoinToken(caPEM: "abc", secret: "x")
        #expect(token.caHash == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test(arguments: ["", "K10abc::node:x", "K11" + String(repeating: "a", count: 64) + "::node:x",
                      "K10" + String(repeating: "a", count: 64) + "::node:", "K10" + String(repeating: "g", count: 64) + "::node:x"])
    func rejectsMalformedTokens(_ text: String) {
        #expect(throws: JoinTokenError.malformed) { try JoinToken(parsing: text) }
    }
}
