public import KyvernAPI
public import KyvernClient

/// An informer's lister is the cache reconcilers read in production.
extension Lister: ObjectCache {
    /// From the informer's index; the controller must have registered `index` on the informer.
    public func list(index: CacheIndex, value: String) async -> [JSONValue] {
        await byIndex(index.name, value)
    }
}
