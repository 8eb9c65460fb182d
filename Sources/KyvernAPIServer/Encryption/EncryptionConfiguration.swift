/// Upstream's `apiserver.config.k8s.io/v1` EncryptionConfiguration, as `--encryption-provider-config` reads it.
///
/// Per entry, the first provider encrypts new writes and every provider is tried on reads,
/// so keys can be added (first) and retired (last) without rewriting the whole store at once.
package struct EncryptionConfiguration: Sendable, Hashable {
    package struct ResourceEntry: Sendable, Hashable {
        /// `secrets`, `deployments.apps`, `*.apps`, `*.` (the core group) or `*.*`.
        package var resources: [String]
        package var providers: [Provider]

        package init(resources: [String], providers: [Provider]) {
            self.resources = resources
            self.providers = providers
        }
    }

    package struct Key: Sendable, Hashable {
        package var name: String
        /// The key material (the base64 `secret` decoded).
        package var secret: [UInt8]

        package init(name: String, secret: [UInt8]) {
            self.name = name
            self.secret = secret
        }
    }

    package enum Provider: Sendable, Hashable {
        case aescbc([Key])
        case aesgcm([Key])
        case secretbox([Key])
        case identity

        package var type: String {
            switch self {
            case .aescbc: "aescbc"
            case .aesgcm: "aesgcm"
            case .secretbox: "secretbox"
            case .identity: "identity"
            }
        }

        package var keys: [Key] {
            switch self {
            case .aescbc(let keys), .aesgcm(let keys), .secretbox(let keys): keys
            case .identity: []
            }
        }

        /// One transformer per key, in the configured order.
        package var transformers: [any StorageTransformer] {
            switch self {
            case .aescbc(let keys): keys.map { AESCBCTransformer(keyName: $0.name, secret: $0.secret) }
            case .aesgcm(let keys): keys.map { AESGCMTransformer(keyName: $0.name, secret: $0.secret) }
            case .secretbox(let keys): keys.map { SecretboxTransformer(keyName: $0.name, secret: $0.secret) }
            case .identity: [IdentityTransformer()]
            }
        }
    }

    package var resources: [ResourceEntry]

    package init(resources: [ResourceEntry]) {
        self.resources = resources
    }

    /// The entry that governs `group`/`resource` (group empty for the core group): the first
    /// that names it, else the first with `*.<group>`, else the first with `*.*`, as upstream resolves them.
    package func entryIndex(group: String, resource: String) -> Int? {
        let exact = group.isEmpty ? resource : "\(resource).\(group)"
        for name in [exact, "*.\(group)", "*.*"] {
            if let index = resources.firstIndex(where: { $0.resources.contains(name) }) { return index }
        }
        return nil
    }
}
