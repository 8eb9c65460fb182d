/// What a resource request path names: `/api/v1/namespaces/ns/pods/name/status` and friends.
///
/// Parsed once per request so the handlers never look at raw paths.
struct RequestTarget: Sendable, Hashable {
    var group: String
    var version: String
    /// The namespace from the path (nil for cluster-wide requests).
    var namespace: String?
    var resource: String
    var name: String?
    var subresource: String?

    /// Parses the path segments after `/api` or `/apis` prefix handling.
    /// Returns nil when the path is not a resource path (discovery documents are handled elsewhere).
    static func parse(_ segments: [Substring]) -> RequestTarget? {
        var rest = segments[...]
        let group: String
        let version: String
        guard let first = rest.popFirst() else { return nil }
        if first == "api" {
            guard let v = rest.popFirst() else { return nil }
            group = ""
            version = String(v)
        } else if first == "apis" {
            guard let g = rest.popFirst(), let v = rest.popFirst() else { return nil }
            group = String(g)
            version = String(v)
        } else {
            return nil
        }
        guard !rest.isEmpty else { return nil }
        var namespace: String?
        // namespaces/{ns}/{resource}... ; but "namespaces/{name}" and "namespaces/{name}/status" name the namespace itself.
        if rest.first == "namespaces", rest.count >= 3 {
            let ns = rest[rest.startIndex + 1]
            let next = rest[rest.startIndex + 2]
            if next == "status" || next == "finalize" {
                if rest.count == 3 {
                    return RequestTarget(group: group, version: version, namespace: nil, resource: "namespaces",
                                         name: String(ns), subresource: String(next))
                }
            }
            namespace = String(ns)
            rest = rest.dropFirst(2)
        }
        guard let resource = rest.popFirst() else { return nil }
        let name = rest.popFirst().map(String.init)
        let sub = rest.isEmpty ? nil : rest.map(String.init).joined(separator: "/")
        return RequestTarget(group: group, version: version, namespace: namespace, resource: String(resource),
                             name: name, subresource: sub)
    }
}
