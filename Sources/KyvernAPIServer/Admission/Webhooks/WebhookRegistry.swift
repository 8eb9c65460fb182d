import KyvernAPI

/// The webhooks configured now, read from the watch cache on every request: a configuration
/// written through this server is in the cache when its write returns, so the next request
/// already sees it (upstream's informer lags a little; nothing relies on that lag).
struct WebhookRegistry: Sendable {
    let cache: WatchCache

    static let mutatingBucket = StorageKeys.resourcePrefix(group: "admissionregistration.k8s.io",
                                                            resource: "mutatingwebhookconfigurations")
    static let validatingBucket = StorageKeys.resourcePrefix(group: "admissionregistration.k8s.io",
                                                              resource: "validatingwebhookconfigurations")

    /// Configurations sorted by name, their webhooks in order (upstream's order).
    func webhooks(_ phase: AdmissionWebhook.Phase) async -> [AdmissionWebhook] {
        let bucket = phase == .mutating ? Self.mutatingBucket : Self.validatingBucket
        let configurations = await cache.list(bucket: bucket, keyPrefix: bucket).items
        guard !configurations.isEmpty else { return [] }
        return configurations
            .sorted { $0.key < $1.key }
            .flatMap { AdmissionWebhook.all(in: $0.object, phase: phase) }
    }

    func namespaceLabels(_ name: String) async -> [String: String]? {
        let key = StorageKeys.resourcePrefix(group: "", resource: "namespaces") + name
        guard let namespace = await cache.get(key: key)?.object else { return nil }
        return (namespace[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// Other served versions of a resource, for matchPolicy Equivalent.
    static func servedVersions(group: String, resource: String) -> [String] {
        ResourceCatalog.all.filter { $0.group == group && $0.resource == resource }.map(\.version)
    }

    /// Where a Service-backed webhook is reached from the API server: a ready endpoint of the
    /// Service's port (pod IPs are routable from the host), else its cluster IP, else an
    /// ExternalName's host.
    func resolveService(namespace: String, name: String, port: Int) async throws -> (address: String, port: Int) {
        let key = StorageKeys.resourcePrefix(group: "", resource: "services") + "\(namespace)/\(name)"
        guard let service = await cache.get(key: key)?.object else {
            throw APIError.notFound(group: "", resource: "service", name: name)
        }
        if service[path: ["spec", "type"]]?.stringValue == "ExternalName",
           let external = service[path: ["spec", "externalName"]]?.stringValue {
            return (external, port)
        }
        let servicePort = (service[path: ["spec", "ports"]]?.arrayValue ?? []).first { $0["port"]?.intValue == Int64(port) }
        guard let servicePort else {
            throw APIError.badRequest("no service port \(port) found for service \(goQuote(name))")
        }
        let portName = servicePort["name"]?.stringValue ?? ""
        let bucket = StorageKeys.resourcePrefix(group: "discovery.k8s.io", resource: "endpointslices")
        let slices = await cache.list(bucket: bucket, keyPrefix: "\(bucket)\(namespace)/").items.map(\.object)
        for slice in slices where slice[path: ["metadata", "labels", "kubernetes.io/service-name"]]?.stringValue == name {
            let slicePort = (slice["ports"]?.arrayValue ?? []).first { ($0["name"]?.stringValue ?? "") == portName }
            guard let number = slicePort?["port"]?.intValue else { continue }
            for endpoint in slice["endpoints"]?.arrayValue ?? []
            where endpoint[path: ["conditions", "ready"]]?.boolValue != false {
                if let address = endpoint["addresses"]?.arrayValue?.first?.stringValue {
                    return (address, Int(number))
                }
            }
        }
        if let clusterIP = service[path: ["spec", "clusterIP"]]?.stringValue, !clusterIP.isEmpty, clusterIP != "None" {
            return (clusterIP, port)
        }
        throw APIError(code: 503, reason: "ServiceUnavailable", message: "no endpoints available for service \(goQuote(name))")
    }
}
