import KyvernAPI
import KyvernClient
import Logging

/// What the EndpointSlice and mirroring controllers share about the slices each keeps for an owner
/// (a Service, or the Endpoints it mirrors): the cache index that finds them, the slice events that
/// queue the owner again, the wait for the cache to show a sync's own writes, and the writes, each
/// recorded in a ``SliceWriteTracker`` so the next sync can tell.
struct ManagedSlices: Sendable {
    /// How the logs name the owner ("service", "endpoints").
    let ownerKind: String
    let client: any KubernetesClient
    let tracker: SliceWriteTracker
    let queue: ControllerQueue?
    let logger: Logger

    /// Slices labelled as managed by `managedBy`, by `namespace/owner` (the service-name label).
    static func index(name: String, managedBy: String) -> CacheIndex {
        CacheIndex(name: name) { slice in
            guard slice.labels[EndpointSliceShape.managedByLabel] == managedBy,
                  let owner = slice.labels[EndpointSliceShape.serviceNameLabel] else { return [] }
            return ["\(slice.namespace ?? "")/\(owner)"]
        }
    }

    /// A managed slice changed or went away (or someone took it over): its owner, before and after
    /// the change, syncs again, and a deletion the tracker waits for is settled.
    static func route(_ event: InformerEvent, index: CacheIndex, tracker: SliceWriteTracker, queue: ControllerQueue) async {
        var keys = Set<String>()
        if case .updated(let old, let new) = event {
            if old.resourceVersion == new.resourceVersion { return }
            keys.formUnion(index.indexer(old))
        }
        keys.formUnion(index.indexer(event.object))
        for key in keys {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let owner = ObjectKey(namespace: parts[0], name: parts[1])
            if case .deleted(let slice) = event, let name = slice.name {
                await tracker.observedDeletion(of: name, service: owner)
            }
            await queue.add(owner)
        }
    }

    /// Whether `cached` predates this controller's own writes for the owner; the sync then waits
    /// (it is queued again in a second, and the slice events queue it sooner).
    func cacheIsBehind(_ key: ObjectKey, cached: [JSONValue]) async -> Bool {
        guard await tracker.isStale(service: key, cached: cached) else { return false }
        logger.debug("slice cache behind our writes, waiting", metadata: [ownerKind: "\(key)"])
        await queue?.addAfter(key, delay: .seconds(1))
        return true
    }

    /// Creates, updates and deletes the owner's slices in that order; a refused create (the
    /// namespace is terminating or gone) ends the writes quietly.
    func write(creates: [JSONValue], updates: [JSONValue], deletes: [JSONValue], owner key: ObjectKey) async throws {
        for slice in creates {
            do {
                let created = try await client.create(.endpointSlices, namespace: key.namespace, slice)
                await tracker.wrote(created, service: key)
            } catch let error as APIError where error.code == 403 || error.code == 404 {
                // The namespace is terminating or gone: nothing to keep up to date.
                logger.debug("cannot create slice", metadata: [ownerKind: "\(key)", "error": "\(error)"])
                return
            }
        }
        for slice in updates {
            let updated = try await client.update(.endpointSlices, namespace: key.namespace, slice)
            await tracker.wrote(updated, service: key)
        }
        for slice in deletes { try await delete(slice, owner: key) }
    }

    /// Deletes one slice (already gone is fine) and tells the tracker.
    func delete(_ slice: JSONValue, owner key: ObjectKey) async throws {
        guard let name = slice.name else { return }
        do {
            try await client.delete(.endpointSlices, namespace: key.namespace, name: name)
        } catch let error as APIError where error.code == 404 {}
        await tracker.deleted(name, service: key)
    }
}
