/// An EncryptionConfiguration made ready for the store: which transformers apply to which
/// storage key (`/registry/<group or core>/<resource>/...`).
package struct EncryptionProviders: Sendable {
    package let configuration: EncryptionConfiguration
    private let entries: [ResourceTransformers]

    package init(_ configuration: EncryptionConfiguration) {
        self.configuration = configuration
        self.entries = configuration.resources.map { ResourceTransformers($0.providers) }
    }

    /// The transformers for `key`, or nil when its resource is not configured (stored as is).
    package func transformers(forKey key: String) -> ResourceTransformers? {
        guard let (group, resource) = Self.resource(ofKey: key) else { return nil }
        return transformers(group: group, resource: resource)
    }

    package func transformers(group: String, resource: String) -> ResourceTransformers? {
        configuration.entryIndex(group: group, resource: resource).map { entries[$0] }
    }

    /// `("", "secrets")` for `/registry/core/secrets/ns/name`.
    static func resource(ofKey key: String) -> (group: String, resource: String)? {
        guard let bucket = StorageKeys.bucket(ofKey: key) else { return nil }
        let parts = bucket.dropFirst(StorageKeys.root.count).split(separator: "/")
        guard parts.count == 2 else { return nil }
        return (parts[0] == "core" ? "" : String(parts[0]), String(parts[1]))
    }
}
