import Crypto
import Foundation
@testable import KyvernAPIServer
import Testing
import _CryptoExtras

/// Each provider: round trip, upstream's stored layout, and refusal under another key.
@Suite("Encryption providers")
struct StorageTransformerTests {
    static let plaintext = Array(#"{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}"#.utf8)
    static let key = "/registry/core/secrets/default/s1"

    static func secret(_ size: Int, seed: UInt8 = 1) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7) &+ seed } }

    static func transformers(seed: UInt8 = 1) -> [any StorageTransformer] {
        [AESCBCTransformer(keyName: "k16", secret: secret(16, seed: seed)),
         AESCBCTransformer(keyName: "k24", secret: secret(24, seed: seed)),
         AESCBCTransformer(keyName: "k32", secret: secret(32, seed: seed)),
         AESGCMTransformer(keyName: "g16", secret: secret(16, seed: seed)),
         AESGCMTransformer(keyName: "g32", secret: secret(32, seed: seed)),
         SecretboxTransformer(keyName: "s32", secret: secret(32, seed: seed))]
    }

    @Test("every provider round-trips, never stores the plaintext, and uses a fresh IV/nonce per write")
    func roundTrip() throws {
        for transformer in Self.transformers() {
            let sealed = try transformer.encrypt(Self.plaintext, context: Self.key)
            #expect(try transformer.decrypt(sealed[...], context: Self.key) == Self.plaintext, "\(transformer.prefix)")
            #expect(!String(decoding: sealed, as: UTF8.self).contains("password"), "\(transformer.prefix)")
            #expect(try transformer.encrypt(Self.plaintext, context: Self.key) != sealed, "\(transformer.prefix)")
        }
    }

    @Test("a value sealed under one key does not open under another")
    func wrongKeyFails() throws {
        for (mine, other) in zip(Self.transformers(seed: 1), Self.transformers(seed: 2)) {
            let sealed = try mine.encrypt(Self.plaintext, context: Self.key)
            if mine.prefix.hasPrefix("k8s:enc:aescbc:") {
                // Unauthenticated, as upstream's: the wrong key's garbage ends in valid PKCS#7 padding about
                // once in 256 random IVs, so it may not throw; it never gives back the plaintext.
                let opened = try? other.decrypt(sealed[...], context: Self.key)
                #expect(opened != Self.plaintext, "\(mine.prefix)")
            } else {
                #expect(throws: TransformError.self, "\(mine.prefix)") { try other.decrypt(sealed[...], context: Self.key) }
            }
        }
    }

    @Test("prefixes are upstream's k8s:enc:<provider>:v1:<key>:")
    func prefixes() {
        #expect(AESCBCTransformer(keyName: "key1", secret: Self.secret(32)).prefix == "k8s:enc:aescbc:v1:key1:")
        #expect(AESGCMTransformer(keyName: "key1", secret: Self.secret(32)).prefix == "k8s:enc:aesgcm:v1:key1:")
        #expect(SecretboxTransformer(keyName: "key1", secret: Self.secret(32)).prefix == "k8s:enc:secretbox:v1:key1:")
        #expect(IdentityTransformer().prefix == "")
    }

    @Test("aescbc stores a 16-byte IV then PKCS#7-padded AES-CBC, as upstream")
    func aescbcLayout() throws {
        let secret = Self.secret(32)
        let sealed = try AESCBCTransformer(keyName: "k", secret: secret).encrypt(Self.plaintext, context: Self.key)
        #expect((sealed.count - 16) % 16 == 0)
        #expect(sealed.count - 16 == (Self.plaintext.count / 16 + 1) * 16)
        let opened = try AES._CBC.decrypt(Array(sealed.dropFirst(16)), using: SymmetricKey(data: secret),
                                          iv: AES._CBC.IV(ivBytes: sealed.prefix(16)))
        #expect(Array(opened) == Self.plaintext)
    }

    @Test("aesgcm stores nonce, ciphertext and tag, and binds the storage key")
    func aesgcmLayout() throws {
        let transformer = AESGCMTransformer(keyName: "k", secret: Self.secret(32))
        let sealed = try transformer.encrypt(Self.plaintext, context: Self.key)
        #expect(sealed.count == 12 + Self.plaintext.count + 16)
        #expect(throws: TransformError.self) {
            try transformer.decrypt(sealed[...], context: "/registry/core/secrets/default/other")
        }
    }

    @Test("secretbox stores a 24-byte nonce then NaCl's box")
    func secretboxLayout() throws {
        let secret = Self.secret(32)
        let sealed = try SecretboxTransformer(keyName: "k", secret: secret).encrypt(Self.plaintext, context: Self.key)
        #expect(sealed.count == 24 + 16 + Self.plaintext.count)
        let opened = try XSalsa20Poly1305.open(sealed.dropFirst(24), key: secret, nonce: Array(sealed.prefix(24)))
        #expect(opened == Self.plaintext)
    }

    @Test("identity passes plaintext and refuses encrypted data")
    func identity() throws {
        #expect(try IdentityTransformer().decrypt(Self.plaintext[...], context: Self.key) == Self.plaintext)
        let encrypted = Array("k8s:enc:aescbc:v1:key1:xxxx".utf8)
        #expect(throws: TransformError("identity transformer tried to read encrypted data")) {
            try IdentityTransformer().decrypt(encrypted[...], context: Self.key)
        }
    }

    @Test("the chain writes with the first provider and reads with any listed one")
    func chain() throws {
        let old = EncryptionConfiguration.Key(name: "old", secret: Self.secret(32, seed: 9))
        let new = EncryptionConfiguration.Key(name: "new", secret: Self.secret(32, seed: 3))
        let before = ResourceTransformers([.aescbc([old])])
        let after = ResourceTransformers([.secretbox([new]), .aescbc([old]), .identity])
        let stored = try before.encode(Self.plaintext, key: Self.key)
        #expect(stored.starts(with: Array("k8s:enc:aescbc:v1:old:".utf8)))
        #expect(try after.decode(stored, key: Self.key) == Self.plaintext)
        #expect(try after.encode(Self.plaintext, key: Self.key).starts(with: Array("k8s:enc:secretbox:v1:new:".utf8)))
        #expect(try after.decode(Self.plaintext, key: Self.key) == Self.plaintext)
        #expect(ResourceTransformers.storedUnder(stored) == "aescbc:old")
        #expect(ResourceTransformers.storedUnder(Self.plaintext) == "identity")
        // Without identity listed, plaintext is refused, as upstream.
        #expect(throws: TransformError("unable to transform key \"\(Self.key)\": no matching prefix found")) {
            try before.decode(Self.plaintext, key: Self.key)
        }
    }
}
