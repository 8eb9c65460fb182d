import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

/// The decorator: configured resources are encrypted on every write and decrypted on every
/// read, range, watch event and conflict; everything else passes through untouched.
@Suite("EncryptingStore")
struct EncryptingStoreTests {
    static let secretKey = "/registry/core/secrets/default/db"
    static let configMapKey = "/registry/core/configmaps/default/settings"
    static let value = Array(#"{"kind":"Secret","data":{"password":"cGxhaW50ZXh0LXBhc3N3b3Jk"}}"#.utf8)
    static let key1 = EncryptionConfiguration.Key(name: "key1", secret: Array(repeating: 1, count: 32))
    static let key2 = EncryptionConfiguration.Key(name: "key2", secret: Array(repeating: 2, count: 32))

    static func configuration(_ providers: [EncryptionConfiguration.Provider]) -> EncryptionConfiguration {
        EncryptionConfiguration(resources: [.init(resources: ["secrets"], providers: providers)])
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        String(decoding: bytes, as: UTF8.self).contains(text)
    }

    @Test("writes are encrypted in the backend, reads see the plaintext")
    func writesEncryptedReadsPlain() async throws {
        let backend = MemoryStore()
        let store = EncryptingStore(backend: backend, configuration: Self.configuration([.aescbc([Self.key1]), .identity]))
        let created = try await store.create(key: Self.secretKey, value: Self.value)
        #expect(created.value == Self.value)
        let raw = try #require(try await backend.get(key: Self.secretKey, revision: nil))
        #expect(raw.value.starts(with: Array("k8s:enc:aescbc:v1:key1:".utf8)))
        #expect(!Self.contains(raw.value, "cGxhaW50ZXh0"))
        #expect(try await store.get(key: Self.secretKey, revision: nil)?.value == Self.value)
        #expect(try await store.range(prefix: "/registry/", startKey: nil, limit: nil, revision: nil).items.map(\.value) == [Self.value])

        let updated = try await store.update(key: Self.secretKey, value: Self.value + [32], expectedRevision: created.modRevision)
        #expect(updated.value == Self.value + [32])
        let (_, previous) = try await store.delete(key: Self.secretKey, expectedRevision: nil)
        #expect(previous.value == Self.value + [32])
    }

    @Test("resources not in the configuration are stored as they are")
    func otherResourcesUntouched() async throws {
        let backend = MemoryStore()
        let store = EncryptingStore(backend: backend, configuration: Self.configuration([.aescbc([Self.key1])]))
        _ = try await store.create(key: Self.configMapKey, value: Self.value)
        #expect(try await backend.get(key: Self.configMapKey, revision: nil)?.value == Self.value)
    }

    @Test("plaintext written before encryption reads while identity is listed, and is refused when not")
    func oldPlaintext() async throws {
        let backend = MemoryStore()
        _ = try await backend.create(key: Self.secretKey, value: Self.value)
        let withIdentity = EncryptingStore(backend: backend, configuration: Self.configuration([.aescbc([Self.key1]), .identity]))
        #expect(try await withIdentity.get(key: Self.secretKey, revision: nil)?.value == Self.value)
        let without = EncryptingStore(backend: backend, configuration: Self.configuration([.aescbc([Self.key1])]))
        await #expect(throws: TransformError("unable to transform key \"\(Self.secretKey)\": no matching prefix found")) {
            try await without.get(key: Self.secretKey, revision: nil)
        }
        await #expect(throws: TransformError.self) {
            try await without.range(prefix: "/registry/", startKey: nil, limit: nil, revision: nil)
        }
    }

    @Test("watch events carry plaintext, new and previous")
    func watchDecrypts() async throws {
        let backend = MemoryStore()
        let store = EncryptingStore(backend: backend, configuration: Self.configuration([.secretbox([Self.key1])]))
        let created = try await store.create(key: Self.secretKey, value: Self.value)
        _ = try await store.update(key: Self.secretKey, value: Self.value + [32], expectedRevision: created.modRevision)
        var events: [StoreEvent] = []
        for try await batch in store.watch(prefix: "/registry/", startRevision: created.modRevision) {
            events += batch
            if events.count >= 2 { break }
        }
        #expect(events.map(\.kv.value) == [Self.value, Self.value + [32]])
        #expect(events[1].previous?.value == Self.value)
    }

    @Test("a conflict reports the current value decrypted")
    func conflictDecrypts() async throws {
        let store = EncryptingStore(backend: MemoryStore(), configuration: Self.configuration([.aesgcm([Self.key1])]))
        let created = try await store.create(key: Self.secretKey, value: Self.value)
        await #expect {
            try await store.update(key: Self.secretKey, value: [1], expectedRevision: created.modRevision + 5)
        } throws: { error in
            guard case StoreError.conflict(_, let current) = error else { return false }
            return current.value == Self.value
        }
    }

    @Test("after a reload new writes use the new first key and old values still read")
    func reload() async throws {
        let backend = MemoryStore()
        let store = EncryptingStore(backend: backend, configuration: Self.configuration([.aescbc([Self.key1])]))
        _ = try await store.create(key: Self.secretKey, value: Self.value)
        store.reload(Self.configuration([.aescbc([Self.key2, Self.key1])]))
        #expect(try await store.get(key: Self.secretKey, revision: nil)?.value == Self.value)
        _ = try await store.create(key: Self.secretKey + "2", value: Self.value)
        let raw = try #require(try await backend.get(key: Self.secretKey + "2", revision: nil))
        #expect(raw.value.starts(with: Array("k8s:enc:aescbc:v1:key2:".utf8)))
    }
}

/// `kyvern secrets-encrypt`'s server side: status counts, key rotation in the file, re-encryption.
@Suite("SecretsEncryption")
struct SecretsEncryptionTests {
    static let secret = Data(repeating: 5, count: 32).base64EncodedString()

    @Test("status, rotate-key and reencrypt move every Secret under the new key")
    func rotateAndReencrypt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyvern-enc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("encryption.yaml").path
        try """
        apiVersion: apiserver.config.k8s.io/v1
        kind: EncryptionConfiguration
        resources:
          - resources: [secrets]
            providers:
              - aescbc:
                  keys: [{name: key1, secret: \(Self.secret)}]
              - identity: {}
        """.write(toFile: path, atomically: true, encoding: .utf8)

        let backend = MemoryStore()
        _ = try await backend.create(key: "/registry/core/secrets/a/plain", value: Array(#"{"v":"old"}"#.utf8))
        let store = EncryptingStore(backend: backend, configuration: try EncryptionConfiguration.load(path: path))
        for index in 0..<5 {
            _ = try await store.create(key: "/registry/core/secrets/b/s\(index)", value: Array(#"{"v":"\#(index)"}"#.utf8))
        }
        let encryption = SecretsEncryption(store: store, configPath: path)
        let before = try await encryption.status()
        #expect(before["enabled"] == .bool(true))
        #expect(before["activeKey"] == "key1")
        #expect(before[path: ["secrets", "byKey"]] == ["aescbc:key1": .int(5), "identity": .int(1)])

        let rotated = try await encryption.rotateKey()
        let newKey = try #require(rotated["key"]?.stringValue)
        let onDisk = try EncryptionConfiguration.load(path: path)
        #expect(onDisk.resources[0].providers[0].keys.map(\.name) == [newKey, "key1"])
        #expect(store.current.configuration == onDisk)

        var continueKey: String?
        var rewritten: Int64 = 0
        var batches = 0
        repeat {
            let batch = try await encryption.reencrypt(continueKey: continueKey, limit: 2)
            rewritten += batch["rewritten"]?.intValue ?? 0
            continueKey = batch["continue"]?.stringValue
            batches += 1
        } while continueKey != nil
        #expect(rewritten == 6)
        #expect(batches == 3)
        let after = try await encryption.status()
        #expect(after["activeKey"] == .string(newKey))
        #expect(after[path: ["secrets", "byKey"]] == .object(["aescbc:\(newKey)": .int(6)]))
        #expect(try await store.get(key: "/registry/core/secrets/a/plain", revision: nil)?.value == Array(#"{"v":"old"}"#.utf8))
        // A second pass rewrites nothing.
        let again = try await encryption.reencrypt(continueKey: nil, limit: 100)
        #expect(again["rewritten"] == .int(0))
    }

    @Test("without a configuration, status says so and rotation is refused")
    func notConfigured() async throws {
        let encryption = SecretsEncryption(store: nil, configPath: nil)
        #expect(try await encryption.status()["enabled"] == .bool(false))
        await #expect(throws: APIError.self) { try await encryption.rotateKey() }
    }
}
