public import KyvernAPI

/// Read access to a local cache of one resource: what reconcilers read instead of the API.
///
/// An informer's lister provides it in production; tests hand a reconciler a fixed set of
/// objects, so each behaviour is checked without a watch.
public protocol ObjectCache: Sendable {
    func get(namespace: String?, name: String) async -> JSONValue?
    /// Every object of `namespace` (all namespaces for nil).
    func list(namespace: String?) async -> [JSONValue]
    /// The objects `index` maps to `value`.
    func list(index: CacheIndex, value: String) async -> [JSONValue]
}

extension ObjectCache {
    /// Without the index at hand: applies its function to every object.
    public func list(index: CacheIndex, value: String) async -> [JSONValue] {
        await list(namespace: nil).filter { index.indexer($0).contains(value) }
    }
}
