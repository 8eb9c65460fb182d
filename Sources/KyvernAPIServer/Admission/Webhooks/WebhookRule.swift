import KyvernAPI

/// One `RuleWithOperations`: which operations on which group/version/resource/scope call the
/// webhook. `*` is a wildcard everywhere; resources may name subresources (`pods/status`,
/// `*/scale`, `pods/*`), and a bare name matches only the resource itself.
struct WebhookRule: Sendable, Hashable {
    var operations: [String]
    var apiGroups: [String]
    var apiVersions: [String]
    var resources: [String]
    var scope: String

    init(operations: [String], apiGroups: [String], apiVersions: [String], resources: [String], scope: String = "*") {
        self.operations = operations
        self.apiGroups = apiGroups
        self.apiVersions = apiVersions
        self.resources = resources
        self.scope = scope
    }

    init(_ json: JSONValue) {
        func strings(_ key: String) -> [String] { (json[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        self.init(operations: strings("operations"), apiGroups: strings("apiGroups"),
                  apiVersions: strings("apiVersions"), resources: strings("resources"),
                  scope: json["scope"]?.stringValue ?? "*")
    }

    func matches(_ attributes: AdmissionAttributes) -> Bool {
        matchesOperation(attributes.operation) && matchesScope(attributes)
            && matchesKind(group: attributes.group, version: attributes.version,
                           resource: attributes.resource, subresource: attributes.subresource)
    }

    /// Group, version and resource only (matchPolicy Equivalent tries other versions with this).
    func matchesKind(group: String, version: String, resource: String, subresource: String) -> Bool {
        Self.contains(apiGroups, group) && Self.contains(apiVersions, version)
            && matchesResource(resource, subresource: subresource)
    }

    func matchesOperation(_ operation: AdmissionAttributes.Operation) -> Bool {
        operations.contains("*") || operations.contains(operation.rawValue)
    }

    /// `pods/*` matches pods and all its subresources; `*` matches every resource but no subresource.
    func matchesResource(_ resource: String, subresource: String) -> Bool {
        resources.contains { entry in
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let res = String(parts[0])
            let sub = parts.count == 2 ? String(parts[1]) : ""
            return (res == "*" || res == resource) && (sub == "*" || sub == subresource)
        }
    }

    /// `Namespaced` excludes Namespace objects (cluster-scoped, though they carry a namespace);
    /// `Cluster` includes them.
    func matchesScope(_ attributes: AdmissionAttributes) -> Bool {
        let isNamespace = attributes.group.isEmpty && attributes.resource == "namespaces"
        switch scope {
        case "Namespaced": return !isNamespace && !attributes.namespace.isEmpty
        case "Cluster": return isNamespace || attributes.namespace.isEmpty
        default: return true
        }
    }

    private static func contains(_ list: [String], _ value: String) -> Bool {
        list.contains("*") || list.contains(value)
    }
}
