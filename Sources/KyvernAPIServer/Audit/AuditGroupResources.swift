/// The resources of one API group a policy rule names (`pods`, `pods/log`, `*`, `*/status`,
/// `deployments/*`), optionally only some objects by name.
package struct AuditGroupResources: Sendable, Hashable {
    package var group: String
    package var resources: [String]
    package var resourceNames: [String]

    package init(group: String = "", resources: [String] = [], resourceNames: [String] = []) {
        self.group = group
        self.resources = resources
        self.resourceNames = resourceNames
    }

    /// Whether a request for `resource[/subresource]` named `name` in `group` is covered.
    func matches(group: String, resource: String, subresource: String, name: String) -> Bool {
        guard group == self.group else { return false }
        if resources.isEmpty { return true }
        if !resourceNames.isEmpty, !resourceNames.contains(name) { return false }
        let combined = subresource.isEmpty ? resource : "\(resource)/\(subresource)"
        for pattern in resources {
            if pattern == "*" || pattern == combined { return true }
            if !subresource.isEmpty, pattern.hasPrefix("*/"), pattern.dropFirst(2) == subresource { return true }
            if pattern.hasSuffix("/*"), pattern.dropLast(2) == resource { return true }
        }
        return false
    }
}
