@testable import KyvernAPIServer
import Testing

/// Known answers for the hand-written secretbox primitives: RFC 8439's Poly1305 vector, and
/// boxes sealed by libsodium's `crypto_secretbox_easy` (key 0...31, nonce 100...123).
@Suite("XSalsa20-Poly1305 (secretbox)")
struct XSalsa20Poly1305Tests {
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static let key = Array(UInt8(0)...UInt8(31))
    static let nonce = Array(UInt8(100)...UInt8(123))

    @Test("Poly1305 matches RFC 8439 §2.5.2")
    func poly1305Vector() {
        let key = Self.hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
        let tag = Poly1305.tag(key: key, message: Array("Cryptographic Forum Research Group".utf8))
        #expect(tag == Self.hex("a8061dc1305136c6c22b8baf0c0127a9"))
    }

    @Test("seal matches libsodium for empty, short and multi-block messages",
          arguments: [
            ([UInt8](), "f49572d6194281e3c87fbb4e2106932c"),
            (Array("hello secretbox".utf8), "e15f0cabd53ae3f72de19002d503cb1a6adcf5a55596bd8cd38f46e055ebdb"),
            (Array(UInt8(0)..<UInt8(131)),
             "ba60df0f905fde5882b76ac67eb0f08902b89bca3eb3c8eeb8f4299f3b89ad172ebb2ab4f0b35d0cbe15588f1696d797884ed63b6b12bdc3dd3f3d492c3ef34af1a19c2b26b30f683bd8693fe78fa05b03ca0e2e8c790ecdf1c655b90c8ea3dc04c6df54f3aa2d55cac2d37c24bbbb999aa88b188bbc5ca06b1215e0d031fb57085ee439a35e367e38f574d8986ca8433e818f"),
          ])
    func sealKnownAnswers(message: [UInt8], expected: String) throws {
        let box = XSalsa20Poly1305.seal(message, key: Self.key, nonce: Self.nonce)
        #expect(box == Self.hex(expected))
        #expect(try XSalsa20Poly1305.open(box, key: Self.key, nonce: Self.nonce) == message)
    }

    @Test("a flipped bit, a wrong key or a wrong nonce fails authentication")
    func tamperingFails() {
        let box = XSalsa20Poly1305.seal(Array("top secret".utf8), key: Self.key, nonce: Self.nonce)
        var flipped = box
        flipped[flipped.count - 1] ^= 1
        #expect(throws: XSalsa20Poly1305.AuthenticationFailure.self) {
            try XSalsa20Poly1305.open(flipped, key: Self.key, nonce: Self.nonce)
        }
        var otherKey = Self.key
        otherKey[0] ^= 1
        #expect(throws: XSalsa20Poly1305.AuthenticationFailure.self) {
            try XSalsa20Poly1305.open(box, key: otherKey, nonce: Self.nonce)
        }
        var otherNonce = Self.nonce
        otherNonce[23] ^= 1
        #expect(throws: XSalsa20Poly1305.AuthenticationFailure.self) {
            try XSalsa20Poly1305.open(box, key: Self.key, nonce: otherNonce)
        }
        #expect(throws: XSalsa20Poly1305.AuthenticationFailure.self) {
            try XSalsa20Poly1305.open(box.prefix(10), key: Self.key, nonce: Self.nonce)
        }
    }
}
