import KyvernAPI
import KyvernClient
import Synchronization

/// The objects a controller wrote itself, kept until its informer shows that version or a later
/// one, as upstream's volume binder keeps its own writes in its cache.
///
/// A key is often synced again right after a write (the write's own watch event, or its partner's,
/// enqueues it) while the informer still shows the copy from before: deciding on that copy repeats
/// a finished step, and its write conflicts. Reading through ``cache(_:of:)`` sees the newer copy.
final class OwnWrites: Sendable {
    private let objects = Mutex<[String: JSONValue]>([:])

    init() {}

    /// Records what the API server answered to a write of `ref`.
    func remember(_ object: JSONValue, of ref: ResourceRef) {
        guard let name = object.name, object.resourceVersion != nil else { return }
        let key = Self.key(ref.resource, object.namespace, name)
        objects.withLock { $0[key] = object }
    }

    /// `base` with this controller's newer writes of `ref` in place of the informer's older copies.
    func cache(_ base: any ObjectCache, of ref: ResourceRef) -> any ObjectCache {
        OwnWritesCache(base: base, writes: self, resource: ref.resource)
    }

    /// The newer of `cached` and the write remembered for it; forgets a write the cache has caught
    /// up with, and one for an object the cache no longer has (deleted).
    func newest(_ cached: JSONValue?, resource: String, namespace: String?, name: String) -> JSONValue? {
        let key = Self.key(resource, namespace, name)
        return objects.withLock { objects -> JSONValue? in
            guard let written = objects[key] else { return cached }
            guard let cached else {
                objects[key] = nil
                return nil
            }
            if Self.isNewer(written, than: cached) { return written }
            objects[key] = nil
            return cached
        }
    }

    /// How many writes are held (for tests).
    var count: Int { objects.withLock { $0.count } }

    /// Newer by resourceVersion, compared as the store's revisions when both are numbers (an
    /// object recreated under the same name has another uid and is never replaced by the old one).
    static func isNewer(_ written: JSONValue, than cached: JSONValue) -> Bool {
        guard written.uid == cached.uid,
              let a = written.resourceVersion.flatMap({ Int64($0) }),
              let b = cached.resourceVersion.flatMap({ Int64($0) }) else { return false }
        return a > b
    }

    static func key(_ resource: String, _ namespace: String?, _ name: String) -> String {
        "\(resource)/\(namespace ?? "")/\(name)"
    }
}

/// An ``ObjectCache`` that answers with a controller's own newer writes (see ``OwnWrites``).
struct OwnWritesCache: ObjectCache {
    let base: any ObjectCache
    let writes: OwnWrites
    let resource: String

    func get(namespace: String?, name: String) async -> JSONValue? {
        writes.newest(await base.get(namespace: namespace, name: name), resource: resource, namespace: namespace, name: name)
    }

    func list(namespace: String?) async -> [JSONValue] {
        await base.list(namespace: namespace).map(newest)
    }

    func list(index: CacheIndex, value: String) async -> [JSONValue] {
        await base.list(index: index, value: value).map(newest).filter { index.indexer($0).contains(value) }
    }

    private func newest(_ object: JSONValue) -> JSONValue {
        writes.newest(object, resource: resource, namespace: object.namespace, name: object.name ?? "") ?? object
    }
}
