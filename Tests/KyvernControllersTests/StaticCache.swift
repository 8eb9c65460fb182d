import KyvernAPI
@testable import KyvernControllers

/// A fixed cache for reconcilers under test: what an informer would hold at that moment.
struct StaticCache: ObjectCache {
    var objects: [JSONValue]

    func get(namespace: String?, name: String) async -> JSONValue? {
        objects.first { $0.namespace == namespace && $0.name == name }
    }

    func list(namespace: String?) async -> [JSONValue] {
        objects.filter { namespace == nil || $0.namespace == namespace }
    }
}
