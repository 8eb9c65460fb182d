import Foundation
import KyvernAPIServer
import KyvernStore
import Logging

/// `--encryption-provider-config`: the datastore seen through an ``EncryptingStore`` when a
/// configuration is given, and what `kyvern secrets-encrypt` talks to.
enum EncryptionAtRest {
    static func wrap(_ backend: any Store, configPath: String?, logger: Logger) throws -> (any Store, SecretsEncryption) {
        guard let configPath else {
            return (backend, SecretsEncryption(store: nil, configPath: nil))
        }
        // Absolute, so that a key rotation rewrites the same file whatever the working directory.
        let path = URL(fileURLWithPath: configPath).standardizedFileURL.path
        let configuration: EncryptionConfiguration
        do {
            configuration = try EncryptionConfiguration.load(path: path)
        } catch {
            throw EncryptionConfigurationError(field: "", "--encryption-provider-config \(path): \(error)")
        }
        let store = EncryptingStore(backend: backend, configuration: configuration)
        let writer = EncryptionProviders(configuration).transformers(group: "", resource: "secrets")?.writer
        logger.info("encryption at rest configured", metadata: [
            "config": "\(path)",
            "resources": "\(configuration.resources.flatMap(\.resources).joined(separator: ","))",
            "secrets": "\(writer.map { $0.keyName.isEmpty ? $0.provider : "\($0.provider):\($0.keyName)" } ?? "not encrypted")",
        ])
        return (store, SecretsEncryption(store: store, configPath: path))
    }
}
