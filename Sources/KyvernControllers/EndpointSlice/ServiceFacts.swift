import KyvernAPI

/// What the Endpoints and EndpointSlice controllers read from a Service, the way upstream reads it.
///
/// Both controllers must agree on which Services they manage and which pods back them, so the
/// rules live here once.
struct ServiceFacts: Sendable {
    let service: JSONValue

    init(_ service: JSONValue) {
        self.service = service
    }

    var namespace: String { service.namespace ?? "" }
    var name: String { service.name ?? "" }

    /// `spec.selector`, or nil when the Service has none. An empty map counts as none: the API
    /// stores it as absent, and upstream leaves such Services to manually written endpoints.
    var selector: [String: String]? {
        guard let object = service[path: ["spec", "selector"]]?.objectValue, !object.isEmpty else { return nil }
        return object.compactMapValues(\.stringValue)
    }

    var isExternalName: Bool { service[path: ["spec", "type"]]?.stringValue == "ExternalName" }

    /// Whether the controllers compute endpoints for this Service at all.
    var isManaged: Bool { selector != nil && !isExternalName }

    var publishNotReadyAddresses: Bool {
        service[path: ["spec", "publishNotReadyAddresses"]]?.boolValue ?? false
    }

    var clusterIP: String { service[path: ["spec", "clusterIP"]]?.stringValue ?? "" }

    /// Headless: no cluster IP (`None`, or not yet allocated).
    var isHeadless: Bool { clusterIP == "None" || clusterIP.isEmpty }

    var ports: [JSONValue] { service[path: ["spec", "ports"]]?.arrayValue ?? [] }

    /// Whether `pod` carries every label of the selector.
    func selects(_ pod: JSONValue) -> Bool {
        guard let selector else { return false }
        return Self.matches(selector, labels: pod.labels)
    }

    static func matches(_ selector: [String: String], labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// The pod's hostname is published when it names this Service as its subdomain.
    func hostname(for pod: JSONValue) -> String? {
        guard let hostname = pod[path: ["spec", "hostname"]]?.stringValue, !hostname.isEmpty,
              pod[path: ["spec", "subdomain"]]?.stringValue == name, pod.namespace == service.namespace else { return nil }
        return hostname
    }

    /// The labels upstream copies from the Service onto what it generates.
    var labels: [String: String] { service.labels }
}
