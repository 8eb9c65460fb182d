import Crypto
import Foundation

/// The `aesgcm` provider: a random 12-byte nonce, the ciphertext and the 16-byte tag, with the
/// storage key as additional authenticated data (so a value cannot be moved to another key), as upstream.
package struct AESGCMTransformer: StorageTransformer {
    package let keyName: String
    private let key: SymmetricKey

    package var provider: String { "aesgcm" }
    package var prefix: String { Self.encryptedPrefix(provider: provider, keyName: keyName) }

    /// - Parameter secret: 16, 24 or 32 bytes.
    package init(keyName: String, secret: [UInt8]) {
        self.keyName = keyName
        self.key = SymmetricKey(data: secret)
    }

    package func encrypt(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: Array(context.utf8))
        guard let combined = box.combined else { throw TransformError("aesgcm produced no sealed box") }
        return Array(combined)
    }

    package func decrypt(_ ciphertext: ArraySlice<UInt8>, context: String) throws -> [UInt8] {
        guard ciphertext.count >= 12 + 16 else {
            throw TransformError("the stored data was shorter than the required size")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(ciphertext))
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(context.utf8)))
        } catch {
            throw TransformError("cipher: message authentication failed")
        }
    }
}
