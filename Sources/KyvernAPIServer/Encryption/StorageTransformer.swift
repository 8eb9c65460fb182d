/// One provider key of an EncryptionConfiguration: turns a stored object's bytes into what is
/// written to the datastore and back, as upstream's `value.Transformer`.
///
/// The chain (``ResourceTransformers``) adds and matches ``prefix``; a transformer sees only
/// what follows it.
package protocol StorageTransformer: Sendable {
    /// Upstream's marker, `k8s:enc:<provider>:v1:<key name>:`; empty for identity.
    var prefix: String { get }
    /// The provider type as configured (`aescbc`, `aesgcm`, `secretbox`, `identity`).
    var provider: String { get }
    /// The key's name (empty for identity).
    var keyName: String { get }
    /// - Parameter context: the storage key, authenticated by providers that bind it (aesgcm).
    func encrypt(_ plaintext: [UInt8], context: String) throws -> [UInt8]
    func decrypt(_ ciphertext: ArraySlice<UInt8>, context: String) throws -> [UInt8]
}

/// Why a stored value could not be turned back into an object.
package struct TransformError: Error, CustomStringConvertible, Hashable {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

extension StorageTransformer {
    /// Upstream's prefix for a keyed provider.
    static func encryptedPrefix(provider: String, keyName: String) -> String {
        "k8s:enc:\(provider):v1:\(keyName):"
    }
}
