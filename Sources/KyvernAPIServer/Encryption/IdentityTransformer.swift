/// The `identity` provider: values are written as they are. Reading refuses anything carrying
/// the `k8s:enc:` marker, so that encrypted data whose key was removed fails loudly (as upstream).
package struct IdentityTransformer: StorageTransformer {
    package var prefix: String { "" }
    package var provider: String { "identity" }
    package var keyName: String { "" }

    package init() {}

    package func encrypt(_ plaintext: [UInt8], context: String) throws -> [UInt8] { plaintext }

    package func decrypt(_ ciphertext: ArraySlice<UInt8>, context: String) throws -> [UInt8] {
        if ciphertext.starts(with: Self.encryptedMarker) {
            throw TransformError("identity transformer tried to read encrypted data")
        }
        return Array(ciphertext)
    }

    static let encryptedMarker = Array("k8s:enc:".utf8)
}
