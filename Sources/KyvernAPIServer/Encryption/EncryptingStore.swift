public import KyvernStore
import Synchronization

/// A ``Store`` that encrypts the values of configured resources on their way to the backend and
/// decrypts them on the way back (every write, read, range, watch event and error carrying a
/// value), so the API server above it and the datastore below it need not know.
///
/// The providers can be swapped while serving (key rotation); a value already written stays
/// readable as long as its key is still listed.
public final class EncryptingStore: Store {
    /// The datastore itself, holding what is really written (for status and rotation).
    package let backend: any Store
    private let providers: Mutex<EncryptionProviders>

    package init(backend: any Store, configuration: EncryptionConfiguration) {
        self.backend = backend
        self.providers = Mutex(EncryptionProviders(configuration))
    }

    /// The providers in force.
    package var current: EncryptionProviders { providers.withLock { $0 } }

    /// Puts a new configuration in force for every following operation.
    package func reload(_ configuration: EncryptionConfiguration) {
        providers.withLock { $0 = EncryptionProviders(configuration) }
    }

    // MARK: value transforms

    private func encode(key: String, value: [UInt8]) throws -> [UInt8] {
        guard let transformers = current.transformers(forKey: key) else { return value }
        return try transformers.encode(value, key: key)
    }

    private func decode(_ kv: KeyValue, with providers: EncryptionProviders) throws -> KeyValue {
        guard !kv.value.isEmpty, let transformers = providers.transformers(forKey: kv.key) else { return kv }
        var kv = kv
        kv.value = try transformers.decode(kv.value, key: kv.key)
        return kv
    }

    private func decode(_ kv: KeyValue) throws -> KeyValue { try decode(kv, with: current) }

    /// The caller sees the value it wrote, not its ciphertext.
    private func written(_ kv: KeyValue, plaintext: [UInt8]) -> KeyValue {
        var kv = kv
        kv.value = plaintext
        return kv
    }

    private func decodingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch StoreError.conflict(let key, let current) {
            throw StoreError.conflict(key: key, current: try decode(current))
        }
    }

    // MARK: Store

    public func currentRevision() async throws -> Int64 { try await backend.currentRevision() }

    public func compactedRevision() async throws -> Int64 { try await backend.compactedRevision() }

    public func create(key: String, value: [UInt8]) async throws -> KeyValue {
        let kv = try await backend.create(key: key, value: try encode(key: key, value: value))
        return written(kv, plaintext: value)
    }

    public func update(key: String, value: [UInt8], expectedRevision: Int64) async throws -> KeyValue {
        let stored = try encode(key: key, value: value)
        let kv = try await decodingConflicts {
            try await backend.update(key: key, value: stored, expectedRevision: expectedRevision)
        }
        return written(kv, plaintext: value)
    }

    public func delete(key: String, expectedRevision: Int64?) async throws -> (revision: Int64, previous: KeyValue) {
        let (revision, previous) = try await decodingConflicts {
            try await backend.delete(key: key, expectedRevision: expectedRevision)
        }
        return (revision, try decode(previous))
    }

    public func get(key: String, revision: Int64?) async throws -> KeyValue? {
        try await backend.get(key: key, revision: revision).map { try decode($0) }
    }

    public func range(prefix: String, startKey: String?, limit: Int?, revision: Int64?) async throws -> RangeResult {
        var result = try await backend.range(prefix: prefix, startKey: startKey, limit: limit, revision: revision)
        let providers = current
        result.items = try result.items.map { try decode($0, with: providers) }
        return result
    }

    public func watch(prefix: String, startRevision: Int64) -> AsyncThrowingStream<[StoreEvent], any Error> {
        let events = backend.watch(prefix: prefix, startRevision: startRevision)
        return AsyncThrowingStream { continuation in
            // Lives exactly as long as the consumer's stream: its termination cancels it.
            let relay = Task {
                do {
                    for try await batch in events {
                        let providers = self.current
                        continuation.yield(try batch.map { event in
                            var event = event
                            if event.kind == .put { event.kv = try self.decode(event.kv, with: providers) }
                            event.previous = try event.previous.map { try self.decode($0, with: providers) }
                            return event
                        })
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in relay.cancel() }
        }
    }

    public func compact(revision: Int64) async throws { try await backend.compact(revision: revision) }

    public func close() async throws { try await backend.close() }
}
