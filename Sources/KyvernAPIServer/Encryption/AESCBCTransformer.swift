import Crypto
import _CryptoExtras

/// The `aescbc` provider: a random 16-byte IV followed by AES-CBC with PKCS#7 padding, as upstream.
package struct AESCBCTransformer: StorageTransformer {
    package let keyName: String
    private let key: SymmetricKey

    package var provider: String { "aescbc" }
    package var prefix: String { Self.encryptedPrefix(provider: provider, keyName: keyName) }

    /// - Parameter secret: 16, 24 or 32 bytes.
    package init(keyName: String, secret: [UInt8]) {
        self.keyName = keyName
        self.key = SymmetricKey(data: secret)
    }

    package func encrypt(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let iv = AES._CBC.IV()
        let ciphertext = try AES._CBC.encrypt(plaintext, using: key, iv: iv)
        return Array(iv) + Array(ciphertext)
    }

    package func decrypt(_ ciphertext: ArraySlice<UInt8>, context: String) throws -> [UInt8] {
        let blockSize = 16
        guard ciphertext.count >= blockSize else {
            throw TransformError("the stored data was shorter than the required size")
        }
        let body = ciphertext.dropFirst(blockSize)
        guard body.count % blockSize == 0 else {
            throw TransformError("the stored data is not a multiple of the block size")
        }
        let iv = try AES._CBC.IV(ivBytes: ciphertext.prefix(blockSize))
        do {
            return Array(try AES._CBC.decrypt(Array(body), using: key, iv: iv))
        } catch {
            throw TransformError("invalid PKCS7 data (empty or not padded)")
        }
    }
}
