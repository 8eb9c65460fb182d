public import KyvernAPI
public import KyvernStore

/// Generic object persistence: what every resource shares between the HTTP layer and the store.
///
/// Objects are stored without `metadata.resourceVersion`; the store's revision is stamped on
/// read, so the resourceVersion is always exactly the revision of the last write, as upstream.
public struct ObjectStorage: Sendable {
    public let store: any Store
    public let cache: WatchCache

    public init(store: any Store, cache: WatchCache) {
        self.store = store
        self.cache = cache
    }

    static func encodeForStorage(_ object: JSONValue) -> [UInt8] {
        var object = object
        object[path: ["metadata", "resourceVersion"]] = nil
        return object.serialized()
    }

    /// Waits until the cache reflects every write acknowledged so far (a consistent read).
    public func syncCache() async throws {
        let current = try await mapStoreErrors { try await store.currentRevision() }
        try await cache.waitUntil(revision: current)
    }

    public func create(_ info: ResourceInfo, key: String, object: JSONValue) async throws -> CachedObject {
        do {
            let kv = try await store.create(key: key, value: Self.encodeForStorage(object))
            var stamped = object
            stamped[path: ["metadata", "resourceVersion"]] = .string(String(kv.modRevision))
            return handedToCache(CachedObject(key: key, object: stamped, bytes: stamped.serialized(), modRevision: kv.modRevision))
        } catch StoreError.keyExists {
            throw APIError.alreadyExists(group: info.group, resource: info.resource,
                                         name: object[path: ["metadata", "name"]]?.stringValue ?? "")
        } catch let error as StoreError {
            throw Self.apiError(error)
        }
    }

    /// Reads one object from the store itself (not the cache), for read-modify-write.
    public func read(key: String) async throws -> CachedObject? {
        guard let kv = try await mapStoreErrors({ try await store.get(key: key, revision: nil) }) else { return nil }
        return try CachedObject.decode(key: key, value: kv.value, revision: kv.modRevision)
    }

    /// Read-modify-write with optimistic concurrency, retried on conflicts the caller did not ask to see.
    ///
    /// `transform` gets the current object and returns the new one; returning an object equal to the
    /// current one writes nothing and keeps the resourceVersion, as upstream does for no-op updates.
    ///
    /// The first attempt starts from the watch cache's copy, which spares a store read and a decode
    /// on every write (bindings, status reports, lease renewals). That copy may lag the store, so it
    /// is only trusted to be written over: the store's revision precondition rejects it if stale.
    /// Any other outcome that depends on the copy being current (a no-op, or `transform` refusing
    /// it) is settled again from the store, as upstream's GuaranteedUpdate does with its cache.
    ///
    /// When `deleteWhen` holds for the new object (an object being deleted whose last finalizer
    /// was just removed), the object is deleted at the revision it was read at instead, in the same
    /// single store operation, so no reader ever sees it finalized but still there.
    public func update(_ info: ResourceInfo, key: String, name: String,
                       deleteWhen: ((JSONValue) -> Bool)? = nil,
                       transform: (JSONValue) async throws -> JSONValue) async throws -> (object: CachedObject, changed: Bool) {
        if let cached = await cache.get(key: key),
           let written = try await writeOver(cached, info: info, key: key, deleteWhen: deleteWhen, transform: transform) {
            return (written, true)
        }
        for _ in 0..<100 {
            guard let current = try await read(key: key) else {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            }
            var updated = try await transform(current.object)
            updated[path: ["metadata", "resourceVersion"]] = current.object[path: ["metadata", "resourceVersion"]]
            if updated == current.object { return (current, false) }
            do {
                if let deleteWhen, deleteWhen(updated) {
                    let (revision, _) = try await store.delete(key: key, expectedRevision: current.modRevision)
                    updated[path: ["metadata", "resourceVersion"]] = .string(String(revision))
                    return (CachedObject(key: key, object: updated, bytes: updated.serialized(), modRevision: revision), true)
                }
                let kv = try await store.update(key: key, value: Self.encodeForStorage(updated),
                                                expectedRevision: current.modRevision)
                updated[path: ["metadata", "resourceVersion"]] = .string(String(kv.modRevision))
                return (handedToCache(CachedObject(key: key, object: updated, bytes: updated.serialized(), modRevision: kv.modRevision)), true)
            } catch StoreError.conflict {
                continue
            } catch StoreError.notFound {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            } catch let error as StoreError {
                throw Self.apiError(error)
            }
        }
        throw APIError.conflict(group: info.group, resource: info.resource, name: name,
                                reason: "too many concurrent updates; please try again")
    }

    /// One optimistic write starting from `cached`: the written object, or nil when the store
    /// must be asked (the copy was stale, the write would change nothing, or `transform` threw).
    private func writeOver(_ cached: CachedObject, info: ResourceInfo, key: String, deleteWhen: ((JSONValue) -> Bool)?,
                           transform: (JSONValue) async throws -> JSONValue) async throws -> CachedObject? {
        guard var updated = try? await transform(cached.object) else { return nil }
        updated[path: ["metadata", "resourceVersion"]] = cached.object[path: ["metadata", "resourceVersion"]]
        if updated == cached.object { return nil }
        do {
            if let deleteWhen, deleteWhen(updated) {
                let (revision, _) = try await store.delete(key: key, expectedRevision: cached.modRevision)
                updated[path: ["metadata", "resourceVersion"]] = .string(String(revision))
                return CachedObject(key: key, object: updated, bytes: updated.serialized(), modRevision: revision)
            }
            let kv = try await store.update(key: key, value: Self.encodeForStorage(updated),
                                            expectedRevision: cached.modRevision)
            updated[path: ["metadata", "resourceVersion"]] = .string(String(kv.modRevision))
            return handedToCache(CachedObject(key: key, object: updated, bytes: updated.serialized(), modRevision: kv.modRevision))
        } catch StoreError.conflict, StoreError.notFound {
            return nil
        } catch let error as StoreError {
            throw Self.apiError(error)
        }
    }

    /// Deletes at the object's current revision after `check` approves it (preconditions).
    public func delete(_ info: ResourceInfo, key: String, name: String,
                       check: (JSONValue) throws -> Void) async throws -> (object: CachedObject, revision: Int64) {
        for _ in 0..<100 {
            guard let current = try await read(key: key) else {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            }
            try check(current.object)
            do {
                let (revision, _) = try await store.delete(key: key, expectedRevision: current.modRevision)
                return (current.restamped(revision), revision)
            } catch StoreError.conflict {
                continue
            } catch StoreError.notFound {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            } catch let error as StoreError {
                throw Self.apiError(error)
            }
        }
        throw APIError.conflict(group: info.group, resource: info.resource, name: name,
                                reason: "too many concurrent updates; please try again")
    }

    /// Gives a just-written object to the cache's feeder (see ``WrittenObjects``) and returns it.
    private func handedToCache(_ object: CachedObject) -> CachedObject {
        cache.written.add(object)
        return object
    }

    /// Upstream's answers for store failures.
    static func apiError(_ error: StoreError) -> APIError {
        switch error {
        case .compacted(let requested, let compacted):
            return APIError.gone("The resourceVersion for the provided list is too old. too old resource version: \(requested) (\(compacted))")
        case .futureRevision(let requested, let current):
            return APIError(code: 504, reason: "Timeout", message: "Too large resource version: \(requested), current: \(current)")
        default:
            return APIError.internalError(error.description)
        }
    }

    func mapStoreErrors<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as StoreError { throw Self.apiError(error) }
    }
}
