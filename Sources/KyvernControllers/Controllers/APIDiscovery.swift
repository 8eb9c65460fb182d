import KyvernAPI
import KyvernClient

/// The resources the namespace controller and the garbage collector act on, discovered from the
/// API server as upstream's `ServerPreferredResources` does: `/api` and `/apis` name the group
/// versions (the preferred one first), each version's resource list names the resources, and
/// a resource is taken from the first version that serves it. Subresources (`pods/status`) are
/// never objects of their own and are left out. Asking the server, not a built-in catalog, is
/// what lets resources served later (custom resources) be collected and emptied too.
struct APIDiscovery: Sendable {
    let client: any KubernetesClient

    /// Upstream's garbage collector ignores events: they are never owners and churn constantly.
    static let ignoredByCollector: Set<String> = ["/events", "events.k8s.io/events"]

    /// What one discovery pass found, and the group versions it could not read.
    struct Result: Sendable, Equatable {
        var resources: [GCResource] = []
        /// "group/version: error" for each unreadable group version.
        var failures: [String] = []
    }

    /// Resources supporting every verb in `verbs`, optionally only namespaced ones. Throws only
    /// when the group list itself cannot be read; an unreadable group version is reported in
    /// ``Result/failures`` and the others are still returned.
    func resources(supporting verbs: Set<String>, namespacedOnly: Bool = false) async throws -> Result {
        var result = Result()
        var seen: Set<String> = []
        for (group, versions) in try await groupVersions() {
            for version in versions {
                let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
                let list: JSONValue
                do {
                    list = try await client.getPath(group.isEmpty ? "/api/\(version)" : "/apis/\(groupVersion)")
                } catch {
                    result.failures.append("\(groupVersion): \((error as? APIError)?.message ?? "\(error)")")
                    continue
                }
                for resource in list["resources"]?.arrayValue ?? [] {
                    guard let name = resource["name"]?.stringValue, !name.contains("/"),
                          let kind = resource["kind"]?.stringValue else { continue }
                    let namespaced = resource["namespaced"]?.boolValue ?? false
                    let served = Set((resource["verbs"]?.arrayValue ?? []).compactMap(\.stringValue))
                    guard verbs.isSubset(of: served), !namespacedOnly || namespaced,
                          seen.insert("\(group)/\(name)").inserted else { continue }
                    result.resources.append(GCResource(ref: ResourceRef(group: group, version: version, resource: name,
                                                                        namespaced: namespaced), kind: kind))
                }
            }
        }
        return result
    }

    /// The resources the garbage collector watches: deletable, listable, watchable, not events.
    func collectedResources() async throws -> Result {
        var result = try await resources(supporting: ["delete", "list", "watch"])
        result.resources.removeAll { Self.ignoredByCollector.contains("\($0.ref.group)/\($0.ref.resource)") }
        return result
    }

    /// The namespaced resources a terminating namespace is emptied of.
    func namespacedResources() async throws -> Result {
        try await resources(supporting: ["list", "delete"], namespacedOnly: true)
    }

    /// Each group (core as "") with its versions, the preferred version first.
    func groupVersions() async throws -> [(group: String, versions: [String])] {
        let core = try await client.getPath("/api")
        var groups: [(String, [String])] = [("", (core["versions"]?.arrayValue ?? []).compactMap(\.stringValue))]
        let apis = try await client.getPath("/apis")
        for group in apis["groups"]?.arrayValue ?? [] {
            guard let name = group["name"]?.stringValue else { continue }
            var versions = (group["versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue }
            if let preferred = group[path: ["preferredVersion", "version"]]?.stringValue,
               let index = versions.firstIndex(of: preferred) {
                versions.remove(at: index)
                versions.insert(preferred, at: 0)
            }
            groups.append((name, versions))
        }
        return groups
    }
}
