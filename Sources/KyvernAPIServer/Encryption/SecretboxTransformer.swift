import Crypto

/// The `secretbox` provider: a random 24-byte nonce followed by NaCl's secretbox (XSalsa20-Poly1305), as upstream.
package struct SecretboxTransformer: StorageTransformer {
    package let keyName: String
    private let key: [UInt8]

    package var provider: String { "secretbox" }
    package var prefix: String { Self.encryptedPrefix(provider: provider, keyName: keyName) }

    /// - Parameter secret: 32 bytes.
    package init(keyName: String, secret: [UInt8]) {
        self.keyName = keyName
        self.key = secret
    }

    package func encrypt(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let nonce = Array(SymmetricKey(size: .init(bitCount: XSalsa20Poly1305.nonceSize * 8)).withUnsafeBytes { Array($0) })
        return nonce + XSalsa20Poly1305.seal(plaintext, key: key, nonce: nonce)
    }

    package func decrypt(_ ciphertext: ArraySlice<UInt8>, context: String) throws -> [UInt8] {
        guard ciphertext.count >= XSalsa20Poly1305.nonceSize + Poly1305.tagSize else {
            throw TransformError("the stored data was shorter than the required size")
        }
        let nonce = Array(ciphertext.prefix(XSalsa20Poly1305.nonceSize))
        do {
            return try XSalsa20Poly1305.open(ciphertext.dropFirst(XSalsa20Poly1305.nonceSize), key: key, nonce: nonce)
        } catch {
            throw TransformError("output array was not large enough for encryption")
        }
    }
}
