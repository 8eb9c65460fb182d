import KyvernAPI

/// How the Node authorizer reads the cluster: a node's pods through the watch cache's index by
/// `spec.nodeName`, single objects by key, and a catch-up with the store before it refuses.
struct NodeObjects: Sendable {
    var podsOnNode: @Sendable (_ node: String) async -> [JSONValue]
    var get: @Sendable (_ group: String, _ resource: String, _ namespace: String, _ name: String) async -> JSONValue?
    var sync: @Sendable () async -> Void

    static func watchCache(_ storage: ObjectStorage) -> NodeObjects {
        let cache = storage.cache
        return NodeObjects(
            podsOnNode: { node in await cache.pods(onNode: node).map(\.object) },
            get: { group, resource, namespace, name in
                let prefix = StorageKeys.resourcePrefix(group: group, resource: resource)
                return await cache.get(key: namespace.isEmpty ? prefix + name : "\(prefix)\(namespace)/\(name)")?.object
            },
            sync: { try? await storage.syncCache() })
    }
}
