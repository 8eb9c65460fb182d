import Foundation
package import KyvernAPI
import KyvernStore

/// What `kyvern secrets-encrypt` asks of a running server: how Secrets are stored, a new key,
/// and the rewriting of every Secret under it.
///
/// Rotation is done by the server itself (it holds the store and the providers in force), in
/// steps the CLI drives: one request puts a new key first in the configuration file and reloads
/// it, then each re-encryption request rewrites one batch, so the CLI can print progress and
/// resume after an interruption.
package actor SecretsEncryption {
    /// nil when the server runs without `--encryption-provider-config`.
    private let store: EncryptingStore?
    private let configPath: String?

    package init(store: EncryptingStore?, configPath: String?) {
        self.store = store
        self.configPath = configPath
    }

    static let secretsPrefix = StorageKeys.resourcePrefix(group: "", resource: "secrets")

    /// Whether encryption is configured, the provider and key new Secrets are written with, and
    /// how many Secrets are stored under each key (read from the stored prefixes, nothing decrypted).
    package func status() async throws -> JSONValue {
        guard let store, let configPath else {
            return ["enabled": false, "reason": "the server was started without --encryption-provider-config"]
        }
        let providers = store.current
        var counts: [String: Int] = [:]
        var total = 0
        var startKey: String?
        while true {
            let page = try await store.backend.range(prefix: Self.secretsPrefix, startKey: startKey, limit: 500, revision: nil)
            for kv in page.items {
                counts[ResourceTransformers.storedUnder(kv.value), default: 0] += 1
                total += 1
            }
            guard page.more, let last = page.items.last else { break }
            startKey = last.key + "\0"
        }
        var document: [String: JSONValue] = [
            "config": .string(configPath),
            "secrets": ["total": .int(Int64(total)),
                        "byKey": .object(counts.mapValues { .int(Int64($0)) })],
        ]
        if let transformers = providers.transformers(group: "", resource: "secrets") {
            let writer = transformers.writer
            document["enabled"] = .bool(writer.provider != "identity")
            document["activeProvider"] = .string(writer.provider)
            document["activeKey"] = .string(writer.keyName)
            document["keys"] = .array(transformers.transformers.map {
                .string($0.keyName.isEmpty ? $0.provider : "\($0.provider):\($0.keyName)")
            })
        } else {
            document["enabled"] = false
            document["reason"] = "secrets are not listed in the encryption configuration"
        }
        return .object(document)
    }

    /// Puts a new key first in the configuration file (older keys kept for reading) and puts the
    /// file in force. Secrets written before stay under their old key until re-encrypted.
    package func rotateKey() throws -> JSONValue {
        let (store, configPath, _) = try configured()
        guard let text = FileManager.default.contents(atPath: configPath).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw APIError.internalError("cannot read \(configPath)")
        }
        // The file, not the configuration in memory, is the truth: a hand edit since start-up is kept.
        let onDisk = try Self.parsed(text)
        guard let entry = onDisk.entryIndex(group: "", resource: "secrets") else {
            throw APIError.badRequest("secrets are not listed in the encryption configuration \(configPath)")
        }
        let (rotated, provider, keyName) = onDisk.rotated(entryIndex: entry)
        let isJSON = text.drop(while: \.isWhitespace).first == "{"
        let rendered = rotated.rendered(asJSON: isJSON)
        let reread = try Self.parsed(rendered)
        do {
            let temporary = configPath + ".tmp"
            try Data(rendered.utf8).write(to: URL(fileURLWithPath: temporary))
            chmod(temporary, 0o600)
            guard rename(temporary, configPath) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            throw APIError.internalError("cannot write \(configPath): \(error)")
        }
        store.reload(reread)
        return ["provider": .string(provider), "key": .string(keyName), "config": .string(configPath)]
    }

    /// Rewrites up to `limit` Secrets after `continueKey` (the last key of the previous batch) under the key now writing, each with
    /// compare-and-swap on the revision it was read at (re-read and retried on a conflict).
    /// - Returns: counts for this batch and the key to continue from (absent when done).
    package func reencrypt(continueKey: String?, limit: Int) async throws -> JSONValue {
        let (store, _, _) = try configured()
        let page = try await store.backend.range(prefix: Self.secretsPrefix, startKey: continueKey.map { $0 + "\0" },
                                                 limit: max(1, limit), revision: nil)
        var rewritten = 0
        var unchanged = 0
        for item in page.items {
            if try await rewrite(item, in: store) { rewritten += 1 } else { unchanged += 1 }
        }
        var result: [String: JSONValue] = ["rewritten": .int(Int64(rewritten)), "unchanged": .int(Int64(unchanged))]
        if page.more, let last = page.items.last { result["continue"] = .string(last.key) }
        return .object(result)
    }

    /// Whether `item` had to be written again (false: already under the writing key, or deleted meanwhile).
    private func rewrite(_ item: KeyValue, in store: EncryptingStore) async throws -> Bool {
        var raw = item
        for _ in 0..<20 {
            guard let transformers = store.current.transformers(forKey: raw.key) else { return false }
            let writer = transformers.writer
            if writer.prefix.isEmpty ? !raw.value.starts(with: IdentityTransformer.encryptedMarker)
                                     : raw.value.starts(with: Array(writer.prefix.utf8)) {
                return false
            }
            let plaintext = try transformers.decode(raw.value, key: raw.key)
            do {
                _ = try await store.update(key: raw.key, value: plaintext, expectedRevision: raw.modRevision)
                return true
            } catch StoreError.conflict {
                guard let current = try await store.backend.get(key: raw.key, revision: nil) else { return false }
                raw = current
            } catch StoreError.notFound {
                return false
            }
        }
        throw APIError.conflict(group: "", resource: "secrets", name: item.key, reason: "too many concurrent updates; please try again")
    }

    private func configured() throws -> (EncryptingStore, String, Int) {
        guard let store, let configPath else {
            throw APIError.badRequest("secrets encryption is not configured: start the server with --encryption-provider-config")
        }
        guard let index = store.current.configuration.entryIndex(group: "", resource: "secrets") else {
            throw APIError.badRequest("secrets are not listed in the encryption configuration \(configPath)")
        }
        return (store, configPath, index)
    }

    private static func parsed(_ text: String) throws -> EncryptionConfiguration {
        do {
            return try EncryptionConfiguration.parse(text)
        } catch {
            throw APIError.badRequest("encryption configuration: \(error)")
        }
    }
}
