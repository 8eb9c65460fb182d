public import KyvernAPI

/// Reads an informer's cache: what the cluster looked like as of the last event delivered.
///
/// Objects are shared with other readers; components must not treat them as their own copy to
/// change and write back without first reading the latest version on conflict.
public struct Lister: Sendable {
    let cache: InformerCache

    /// One object; `namespace` is ignored for cluster-scoped resources.
    public func get(namespace: String? = nil, name: String) async -> JSONValue? {
        let key = cache.isNamespaced ? (namespace ?? "") + "/" + name : name
        return await cache.get(key: key)
    }

    /// Every cached object, or one namespace's (from the namespace index, without a scan).
    public func list(namespace: String? = nil) async -> [JSONValue] {
        await cache.list(namespace: namespace)
    }

    /// The objects an indexer mapped to `value`, e.g. `byIndex(Indexers.nodeNameName, "node-1")`.
    public func byIndex(_ indexName: String, _ value: String) async -> [JSONValue] {
        await cache.byIndex(indexName, value)
    }

    /// How many objects are cached.
    public func count() async -> Int {
        await cache.count
    }
}
