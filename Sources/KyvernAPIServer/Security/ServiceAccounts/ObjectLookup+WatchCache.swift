import KyvernAPI

extension ObjectLookup {
    /// Reads core objects from the API server's watch cache. An object the cache lacks is looked
    /// for again once the cache has caught up with the store, as upstream falls back from its
    /// informers to a live read: a token minted for a pod created a moment ago is then not refused.
    static func watchCache(_ storage: ObjectStorage) -> ObjectLookup {
        ObjectLookup { resource, namespace, name in
            guard let info = ResourceCatalog.find(group: "", version: "v1", resource: resource) else { return nil }
            let key = StorageKeys.key(info, namespace: namespace, name: name)
            // Mirrored buckets answer without queueing behind the cache actor (see PointReads).
            if let mirrored = storage.cache.peek(key: key) {
                if let object = mirrored { return object.object }
            } else if let object = await storage.cache.get(key: key) {
                return object.object
            }
            guard (try? await storage.syncCache()) != nil else { return nil }
            return await storage.cache.get(key: key)?.object
        }
    }
}
