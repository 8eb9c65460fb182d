/// A resource as the API's URL space names it: `/api/v1/pods`, `/apis/apps/v1/deployments`.
///
/// The dynamic client is keyed by this rather than by Swift types so one client serves every kind,
/// custom resources included; a subresource (`status`, `binding`, `scale`) is a path suffix.
public struct ResourceRef: Sendable, Hashable, CustomStringConvertible {
    /// "" for the core group.
    public var group: String
    /// e.g. "v1".
    public var version: String
    /// Plural lower-case name, e.g. "pods".
    public var resource: String
    /// Whether objects live in namespaces (pods) or not (nodes).
    public var namespaced: Bool

    /// Any resource, custom ones included.
    public init(group: String, version: String, resource: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.resource = resource
        self.namespaced = namespaced
    }

    /// `pods.v1` or `deployments.v1.apps`, as upstream logs it.
    public var description: String { group.isEmpty ? "\(resource).\(version)" : "\(resource).\(version).\(group)" }

    /// `/api/v1` or `/apis/<group>/<version>`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The path of the collection, of one object, or of one object's subresource.
    ///
    /// A `nil` namespace on a namespaced resource means "across all namespaces" (list and watch only).
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) -> String {
        var path = groupVersionPath
        if namespaced, let namespace {
            path += "/namespaces/" + QueryString.escapePathSegment(namespace)
        }
        path += "/" + resource
        if let name {
            path += "/" + QueryString.escapePathSegment(name)
            if let subresource { path += "/" + subresource }
        }
        return path
    }
}

extension ResourceRef {
    /// The resources components use most.
    public static let pods = ResourceRef(group: "", version: "v1", resource: "pods", namespaced: true)
    public static let nodes = ResourceRef(group: "", version: "v1", resource: "nodes", namespaced: false)
    public static let namespaces = ResourceRef(group: "", version: "v1", resource: "namespaces", namespaced: false)
    public static let events = ResourceRef(group: "", version: "v1", resource: "events", namespaced: true)
    public static let leases = ResourceRef(group: "coordination.k8s.io", version: "v1", resource: "leases", namespaced: true)
    public static let replicaSets = ResourceRef(group: "apps", version: "v1", resource: "replicasets", namespaced: true)
    public static let deployments = ResourceRef(group: "apps", version: "v1", resource: "deployments", namespaced: true)
    public static let statefulSets = ResourceRef(group: "apps", version: "v1", resource: "statefulsets", namespaced: true)
    public static let daemonSets = ResourceRef(group: "apps", version: "v1", resource: "daemonsets", namespaced: true)
    public static let controllerRevisions = ResourceRef(group: "apps", version: "v1", resource: "controllerrevisions", namespaced: true)
    public static let jobs = ResourceRef(group: "batch", version: "v1", resource: "jobs", namespaced: true)
    public static let serviceAccounts = ResourceRef(group: "", version: "v1", resource: "serviceaccounts", namespaced: true)
    public static let configMaps = ResourceRef(group: "", version: "v1", resource: "configmaps", namespaced: true)
    public static let secrets = ResourceRef(group: "", version: "v1", resource: "secrets", namespaced: true)
    public static let services = ResourceRef(group: "", version: "v1", resource: "services", namespaced: true)
    public static let endpointSlices = ResourceRef(group: "discovery.k8s.io", version: "v1", resource: "endpointslices", namespaced: true)
    public static let persistentVolumeClaims = ResourceRef(group: "", version: "v1", resource: "persistentvolumeclaims", namespaced: true)
    public static let persistentVolumes = ResourceRef(group: "", version: "v1", resource: "persistentvolumes", namespaced: false)
    public static let storageClasses = ResourceRef(group: "storage.k8s.io", version: "v1", resource: "storageclasses", namespaced: false)
    public static let resourceQuotas = ResourceRef(group: "", version: "v1", resource: "resourcequotas", namespaced: true)
    public static let clusterRoles = ResourceRef(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", namespaced: false)
    public static let certificateSigningRequests = ResourceRef(group: "certificates.k8s.io", version: "v1",
                                                               resource: "certificatesigningrequests", namespaced: false)
    public static let podDisruptionBudgets = ResourceRef(group: "policy", version: "v1", resource: "poddisruptionbudgets", namespaced: true)
}
