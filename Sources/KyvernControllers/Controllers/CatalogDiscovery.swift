import KyvernAPI
import KyvernClient

/// The resources the namespace controller and the garbage collector act on, derived from the
/// API's discovery catalog (generated from the same discovery documents the server serves).
enum CatalogDiscovery {
    /// Upstream's garbage collector ignores events: they are never owners and churn constantly.
    static let ignoredByCollector: Set<String> = ["/events", "events.k8s.io/events"]

    /// One version per group/resource (the preferred, i.e. first listed), with list and delete.
    static func deletableResources(namespacedOnly: Bool) -> [GCResource] {
        var seen: Set<String> = []
        return ResourceCatalog.all.compactMap { info in
            guard !info.resource.contains("/"), info.verbs.contains("list"), info.verbs.contains("delete"),
                  !namespacedOnly || info.namespaced,
                  seen.insert("\(info.group)/\(info.resource)").inserted else { return nil }
            return GCResource(ref: ResourceRef(group: info.group, version: info.version, resource: info.resource,
                                               namespaced: info.namespaced), kind: info.kind)
        }
    }

    /// Namespaced resources a terminating namespace is emptied of.
    static var namespacedResources: [ResourceRef] { deletableResources(namespacedOnly: true).map(\.ref) }

    /// Resources the garbage collector builds its graph from (list and watch, not events).
    static var collectedResources: [GCResource] {
        deletableResources(namespacedOnly: false).filter { resource in
            !ignoredByCollector.contains("\(resource.ref.group)/\(resource.ref.resource)")
        }
    }
}
