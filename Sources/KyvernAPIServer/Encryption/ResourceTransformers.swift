/// The providers of one EncryptionConfiguration entry, in order: the first writes, any whose
/// prefix matches may read (upstream's `PrefixTransformers`).
package struct ResourceTransformers: Sendable {
    package let transformers: [any StorageTransformer]

    package init(_ providers: [EncryptionConfiguration.Provider]) {
        self.transformers = providers.flatMap(\.transformers)
    }

    /// The transformer new writes go through.
    package var writer: any StorageTransformer { transformers[0] }

    /// `prefix || ciphertext` under the first provider's first key.
    package func encode(_ plaintext: [UInt8], key: String) throws -> [UInt8] {
        Array(writer.prefix.utf8) + (try writer.encrypt(plaintext, context: key))
    }

    /// The plaintext of a stored value, trying every transformer whose prefix it carries.
    /// Identity (empty prefix) matches everything but refuses encrypted data, so the next one is tried.
    package func decode(_ stored: [UInt8], key: String) throws -> [UInt8] {
        var failures: [String] = []
        for transformer in transformers {
            let prefix = Array(transformer.prefix.utf8)
            guard stored.starts(with: prefix) else { continue }
            do {
                return try transformer.decrypt(stored[prefix.count...], context: key)
            } catch {
                if prefix.isEmpty { continue }
                failures.append("\(error)")
            }
        }
        let reason = failures.isEmpty ? "no matching prefix found" : failures.joined(separator: "; ")
        throw TransformError("unable to transform key \"\(key)\": \(reason)")
    }

    /// Which provider and key a stored value is under, read from its prefix without decrypting:
    /// `aescbc:key1`, or `identity` for a value without the `k8s:enc:` marker.
    package static func storedUnder(_ stored: [UInt8]) -> String {
        guard stored.starts(with: IdentityTransformer.encryptedMarker) else { return "identity" }
        // k8s:enc:<provider>:v1:<name>:
        let parts = stored.prefix(256).split(separator: UInt8(ascii: ":"), maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count >= 6 else { return "unknown" }
        return "\(String(decoding: parts[2], as: UTF8.self)):\(String(decoding: parts[4], as: UTF8.self))"
    }
}
