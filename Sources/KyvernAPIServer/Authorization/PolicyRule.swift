public import KyvernAPI

/// One rule of a Role or ClusterRole, with upstream RBAC's matching: `*` matches every verb, group
/// or resource; `*/scale` matches the subresource of every resource; an empty resourceNames list
/// matches every name; a non-resource URL ending in `*` matches by prefix.
public struct PolicyRule: Sendable, Hashable {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    public var nonResourceURLs: [String]

    public init(verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [],
                nonResourceURLs: [String] = []) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    /// A rule as stored in a Role's `rules` array.
    public init(json: JSONValue) {
        func strings(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        self.init(verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"),
                  resourceNames: strings("resourceNames"), nonResourceURLs: strings("nonResourceURLs"))
    }

    /// The rule as JSON, omitting empty lists as the API does.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["verbs": .array(verbs.map { .string($0) })]
        if !apiGroups.isEmpty { object["apiGroups"] = .array(apiGroups.map { .string($0) }) }
        if !resources.isEmpty { object["resources"] = .array(resources.map { .string($0) }) }
        if !resourceNames.isEmpty { object["resourceNames"] = .array(resourceNames.map { .string($0) }) }
        if !nonResourceURLs.isEmpty { object["nonResourceURLs"] = .array(nonResourceURLs.map { .string($0) }) }
        return .object(object)
    }

    /// Whether this rule allows the request.
    public func allows(_ request: AuthorizationAttributes) -> Bool {
        guard matchesVerb(request.verb) else { return false }
        if request.isResourceRequest {
            return matchesGroup(request.apiGroup)
                && matchesResource(request.combinedResource, subresource: request.subresource)
                && matchesName(request.name)
        }
        return matchesPath(request.path)
    }

    func matchesVerb(_ verb: String) -> Bool { verbs.contains("*") || verbs.contains(verb) }

    func matchesGroup(_ group: String) -> Bool { apiGroups.contains("*") || apiGroups.contains(group) }

    func matchesResource(_ combined: String, subresource: String) -> Bool {
        for resource in resources {
            if resource == "*" || resource == combined { return true }
            if !subresource.isEmpty, resource.hasPrefix("*/"), resource.dropFirst(2) == subresource { return true }
        }
        return false
    }

    func matchesName(_ name: String) -> Bool { resourceNames.isEmpty || resourceNames.contains(name) }

    func matchesPath(_ path: String) -> Bool {
        for url in nonResourceURLs {
            if url == "*" || url == path { return true }
            if url.hasSuffix("*"), path.hasPrefix(url.dropLast()) { return true }
        }
        return false
    }
}
