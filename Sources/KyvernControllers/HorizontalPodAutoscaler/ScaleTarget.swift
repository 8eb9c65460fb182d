import KyvernAPI
import KyvernClient

/// The object an autoscaler scales, reached through its `scale` subresource so any kind with
/// one (Deployment, ReplicaSet, StatefulSet, ReplicationController) works alike.
struct ScaleTarget: Sendable, Equatable {
    var ref: ResourceRef
    var namespace: String
    var name: String

    /// Upstream's kinds with a scale subresource; other kinds by the usual plural.
    static func of(_ hpa: JSONValue) -> ScaleTarget? {
        guard let kind = hpa[path: ["spec", "scaleTargetRef", "kind"]]?.stringValue,
              let name = hpa[path: ["spec", "scaleTargetRef", "name"]]?.stringValue else { return nil }
        let apiVersion = hpa[path: ["spec", "scaleTargetRef", "apiVersion"]]?.stringValue ?? "v1"
        let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "v1")
        let lower = kind.lowercased()
        let resource = lower.hasSuffix("s") ? "\(lower)es" : lower.hasSuffix("y") ? "\(lower.dropLast())ies" : "\(lower)s"
        return ScaleTarget(ref: ResourceRef(group: group, version: version, resource: resource, namespaced: true),
                           namespace: hpa.namespace ?? "", name: name)
    }

    /// The target's resource as the server's discovery names it, so kinds with any plural (custom
    /// resources among them) are found as upstream's REST mapper finds them; the guessed plural
    /// stays when discovery does not answer.
    func resolved(kind: String, using client: any KubernetesClient) async -> ScaleTarget {
        let root = ref.group.isEmpty ? "/api/\(ref.version)" : "/apis/\(ref.group)/\(ref.version)"
        guard let list = try? await client.getPath(root),
              let entry = (list["resources"]?.arrayValue ?? []).first(where: {
                  $0["kind"]?.stringValue == kind && $0["name"]?.stringValue?.contains("/") == false
              }),
              let resource = entry["name"]?.stringValue else { return self }
        var resolved = self
        resolved.ref = ResourceRef(group: ref.group, version: ref.version, resource: resource,
                                   namespaced: entry["namespaced"]?.boolValue ?? true)
        return resolved
    }

    var path: String {
        let root = ref.group.isEmpty ? "/api/\(ref.version)" : "/apis/\(ref.group)/\(ref.version)"
        return "\(root)/namespaces/\(namespace)/\(ref.resource)/\(name)/scale"
    }

    func get(_ client: any KubernetesClient) async throws -> JSONValue {
        try await client.getPath(path)
    }

    func update(_ client: any KubernetesClient, scale: JSONValue, replicas: Int) async throws {
        var scale = scale
        scale[path: ["spec", "replicas"]] = .int(Int64(replicas))
        _ = try await client.updateSubresource(ref, namespace: namespace, name: name, subresource: "scale", scale, options: WriteOptions())
    }
}
