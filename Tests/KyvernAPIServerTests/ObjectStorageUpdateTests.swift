import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Logging
import Testing

/// `ObjectStorage.update` starts from the watch cache's copy; these pin down that a copy lagging
/// the store never decides the outcome.
@Suite("ObjectStorage update from the watch cache")
struct ObjectStorageUpdateTests {
    static let info = ResourceCatalog.find(group: "", version: "v1", resource: "configmaps")!
    static let key = StorageKeys.key(info, namespace: "ns", name: "cm")

    static func configMap(_ value: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm", "namespace": "ns"], "data": ["v": .string(value)]]
    }

    /// A store holding the config map at `stored`, and a cache (not fed) holding it at `cached`
    /// as of the store's first revision.
    static func setUp(cached: String, stored: String) async throws -> (MemoryStore, ObjectStorage) {
        let store = MemoryStore()
        let first = try await store.create(key: key, value: configMap(cached).serialized())
        let cache = WatchCache(logger: Logger(label: "kyvern.test.storage"))
        await cache.load([first], revision: first.modRevision)
        if stored != cached {
            _ = try await store.update(key: key, value: configMap(stored).serialized(), expectedRevision: first.modRevision)
        }
        return (store, ObjectStorage(store: store, cache: cache))
    }

    /// The stored value and its revision, as "value@revision".
    static func stored(_ store: MemoryStore) async throws -> String {
        let kv = try #require(try await store.get(key: key, revision: nil))
        return "\(try JSONValue.parse(kv.value)[path: ["data", "v"]]?.stringValue ?? "-")@\(kv.modRevision)"
    }

    @Test("a current cached copy is written over directly")
    func currentCopy() async throws {
        let (store, storage) = try await Self.setUp(cached: "a", stored: "a")
        let (object, changed) = try await storage.update(Self.info, key: Self.key, name: "cm") { current in
            var next = current
            next[path: ["data", "v"]] = "b"
            return next
        }
        #expect(changed)
        #expect(object.modRevision == 2)
        #expect(object.object[path: ["metadata", "resourceVersion"]] == "2")
        #expect(try await Self.stored(store) == "b@2")
    }

    @Test("a stale cached copy is rejected by the store and the update is redone on the stored object")
    func staleCopyIsRedone() async throws {
        let (store, storage) = try await Self.setUp(cached: "a", stored: "b")
        var seen: [String] = []
        let (object, changed) = try await storage.update(Self.info, key: Self.key, name: "cm") { current in
            seen.append(current[path: ["data", "v"]]?.stringValue ?? "")
            var next = current
            next[path: ["data", "v"]] = .string((current[path: ["data", "v"]]?.stringValue ?? "") + "+")
            return next
        }
        #expect(seen == ["a", "b"])
        #expect(changed)
        #expect(object.object[path: ["data", "v"]] == "b+")
        #expect(try await Self.stored(store) == "b+@3")
    }

    @Test("an update that is a no-op only against the stale copy is still written")
    func noOpAgainstStaleCopy() async throws {
        let (store, storage) = try await Self.setUp(cached: "a", stored: "b")
        let (object, changed) = try await storage.update(Self.info, key: Self.key, name: "cm") { current in
            var next = current
            next[path: ["data", "v"]] = "a"
            return next
        }
        #expect(changed)
        #expect(object.modRevision == 3)
        #expect(try await Self.stored(store) == "a@3")
    }

    @Test("a no-op against the stored object writes nothing and keeps the resourceVersion")
    func noOpAgainstStore() async throws {
        let (store, storage) = try await Self.setUp(cached: "a", stored: "a")
        let (object, changed) = try await storage.update(Self.info, key: Self.key, name: "cm") { $0 }
        #expect(!changed)
        #expect(object.object[path: ["metadata", "resourceVersion"]] == "1")
        #expect(try await Self.stored(store) == "a@1")
    }

    @Test("a refusal based on the stale copy is reconsidered against the stored object")
    func refusalIsReconsidered() async throws {
        let (store, storage) = try await Self.setUp(cached: "a", stored: "b")
        let (object, _) = try await storage.update(Self.info, key: Self.key, name: "cm") { current in
            // As a client's resourceVersion precondition would: only the newest version is accepted.
            guard current[path: ["metadata", "resourceVersion"]] == "2" else {
                throw APIError.conflict(group: "", resource: "configmaps", name: "cm", reason: "stale")
            }
            var next = current
            next[path: ["data", "v"]] = "c"
            return next
        }
        #expect(object.object[path: ["data", "v"]] == "c")
        #expect(try await Self.stored(store) == "c@3")
    }

    @Test("a refusal against the stored object reaches the caller")
    func refusalReachesCaller() async throws {
        let (_, storage) = try await Self.setUp(cached: "a", stored: "b")
        await #expect(throws: APIError.self) {
            _ = try await storage.update(Self.info, key: Self.key, name: "cm") { _ in
                throw APIError.conflict(group: "", resource: "configmaps", name: "cm", reason: "never")
            }
        }
    }
}
