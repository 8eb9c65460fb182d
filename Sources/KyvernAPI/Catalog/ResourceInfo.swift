/// What the API server knows about one served resource (a group/version/resource).
///
/// The catalog of these is generated from the OpenAPI specification and the upstream discovery
/// documents (`scripts/generate-api.py`), so the server is configured by data, not kind by kind.
public struct ResourceInfo: Sendable, Hashable {
    /// API group, "" for the core group.
    public var group: String
    public var version: String
    /// Plural lower-case resource name, e.g. "deployments".
    public var resource: String
    public var singularName: String
    public var kind: String
    /// `Kind` + "List".
    public var listKind: String
    public var namespaced: Bool
    /// Verbs of the main resource, e.g. ["create","delete","deletecollection","get","list","patch","update","watch"].
    public var verbs: [String]
    public var shortNames: [String]
    public var categories: [String]
    /// Subresources served, e.g. status, scale, binding, eviction.
    public var subresources: [SubresourceInfo]
    /// The OpenAPI definition name of the kind, e.g. "io.k8s.api.apps.v1.Deployment".
    public var definition: String
    /// True when the kind's schema has a `spec` property (generation is bumped on its changes).
    public var hasSpec: Bool
    /// True when the kind's schema has a `status` property.
    public var hasStatus: Bool

    public init(group: String, version: String, resource: String, singularName: String, kind: String,
                listKind: String, namespaced: Bool, verbs: [String], shortNames: [String],
                categories: [String], subresources: [SubresourceInfo], definition: String,
                hasSpec: Bool, hasStatus: Bool) {
        self.group = group
        self.version = version
        self.resource = resource
        self.singularName = singularName
        self.kind = kind
        self.listKind = listKind
        self.namespaced = namespaced
        self.verbs = verbs
        self.shortNames = shortNames
        self.categories = categories
        self.subresources = subresources
        self.definition = definition
        self.hasSpec = hasSpec
        self.hasStatus = hasStatus
    }

    /// "apps/v1" or "v1" for the core group.
    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public func subresource(_ name: String) -> SubresourceInfo? {
        subresources.first { $0.name == name }
    }
}

/// One subresource of a resource, e.g. `deployments/scale`.
public struct SubresourceInfo: Sendable, Hashable {
    /// "status", "scale", "binding", "eviction", ...
    public var name: String
    /// The kind the subresource reads and writes ("Scale", "Binding", "Eviction", or the parent kind for status).
    public var kind: String
    /// Group and version of that kind ("autoscaling"/"v1" for Scale; "" and "v1" for Binding).
    public var group: String
    public var version: String
    public var verbs: [String]

    public init(name: String, kind: String, group: String, version: String, verbs: [String]) {
        self.name = name
        self.kind = kind
        self.group = group
        self.version = version
        self.verbs = verbs
    }
}
