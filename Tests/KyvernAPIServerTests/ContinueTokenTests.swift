import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("ContinueToken")
struct ContinueTokenTests {
    let prefix = "/registry/core/configmaps/default/"

    func decodeError(_ token: String, prefix: String) -> APIError? {
        do {
            _ = try ContinueToken.decode(token, prefix: prefix)
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("encode then decode gives the same token")
    func roundTrip() throws {
        let token = ContinueToken(revision: 12345, startKey: prefix + "cm-0042")
        let decoded = try ContinueToken.decode(token.encoded(), prefix: prefix)
        #expect(decoded == token)
        #expect(decoded.revision == 12345)
        #expect(decoded.startKey == prefix + "cm-0042")
    }

    @Test("round trip of keys whose base64 has '+', '/' and padding", arguments: [
        "/registry/core/configmaps/default/a", "/registry/core/configmaps/default/ab",
        "/registry/core/configmaps/default/abc", "/registry/core/configmaps/default/???>>>~~~",
        "/registry/core/configmaps/default/ünïcödé", "/registry/core/configmaps/default/x\u{0}",
    ])
    func roundTripAlphabet(_ key: String) throws {
        let token = ContinueToken(revision: Int64.max, startKey: key)
        let encoded = token.encoded()
        #expect(!encoded.contains("+"))
        #expect(!encoded.contains("/"))
        #expect(!encoded.contains("="))
        #expect(try ContinueToken.decode(encoded, prefix: prefix) == token)
    }

    @Test("the token is base64 of upstream's JSON shape")
    func shape() throws {
        let encoded = ContinueToken(revision: 7, startKey: prefix + "b").encoded()
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        let json = try JSONValue.parse(Array(data))
        #expect(json["v"] == "meta.k8s.io/v1")
        #expect(json["rv"] == .int(7))
        #expect(json["start"] == .string(prefix + "b"))
    }

    @Test("a token for a namespace is valid for the cluster-wide prefix of the same resource")
    func broaderPrefix() throws {
        let token = ContinueToken(revision: 3, startKey: prefix + "x")
        #expect(try ContinueToken.decode(token.encoded(), prefix: "/registry/core/configmaps/") == token)
    }

    @Test("a token whose start key is outside the prefix is refused")
    func wrongPrefix() {
        let token = ContinueToken(revision: 3, startKey: "/registry/core/secrets/default/x").encoded()
        let e = decodeError(token, prefix: prefix)
        #expect(e?.code == 400)
        #expect(e?.reason == "BadRequest")
        #expect(e?.message.contains("continue key is not valid") == true)
        // Another namespace of the same resource is outside the prefix too.
        let other = ContinueToken(revision: 3, startKey: "/registry/core/configmaps/kube-system/x").encoded()
        #expect(decodeError(other, prefix: prefix)?.code == 400)
    }

    @Test("garbage is refused with 400", arguments: [
        "", "!!!!", "not base64 at all", "e30", // "{}"
        "bnVsbA", // "null"
        "W10", // "[]"
    ])
    func garbage(_ token: String) {
        let e = decodeError(token, prefix: prefix)
        #expect(e?.code == 400)
        #expect(e?.reason == "BadRequest")
    }

    func encode(_ json: JSONValue) -> String {
        Data(json.serialized()).base64EncodedString()
    }

    @Test("a wrong version field is refused")
    func wrongVersion() {
        let token = encode(["v": "meta.k8s.io/v2", "rv": 1, "start": .string(prefix + "a")])
        #expect(decodeError(token, prefix: prefix)?.code == 400)
    }

    @Test("missing or mistyped fields are refused")
    func mistyped() {
        #expect(decodeError(encode(["v": "meta.k8s.io/v1", "start": .string(prefix + "a")]), prefix: prefix)?.code == 400)
        #expect(decodeError(encode(["v": "meta.k8s.io/v1", "rv": "1", "start": .string(prefix + "a")]), prefix: prefix)?.code == 400)
        #expect(decodeError(encode(["v": "meta.k8s.io/v1", "rv": 1]), prefix: prefix)?.code == 400)
        #expect(decodeError(encode(["v": "meta.k8s.io/v1", "rv": 1, "start": 5]), prefix: prefix)?.code == 400)
    }

    @Test("standard (padded, '+/') base64 of a valid token is accepted")
    func standardBase64() throws {
        let token = encode(["v": "meta.k8s.io/v1", "rv": 9, "start": .string(prefix + "z")])
        #expect(try ContinueToken.decode(token, prefix: prefix) == ContinueToken(revision: 9, startKey: prefix + "z"))
    }
}
