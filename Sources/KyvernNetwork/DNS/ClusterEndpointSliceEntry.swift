package import KyvernAPI

/// What DNS needs of a discovery.k8s.io/v1 EndpointSlice: its Service, ports and endpoints.
package struct ClusterEndpointSliceEntry: Sendable, Hashable {
    package struct Endpoint: Sendable, Hashable {
        /// Addresses as bytes, of the slice's address family.
        package var addresses: [[UInt8]]
        package var hostname: String?
        /// `conditions.ready`; an absent condition counts as ready, as the API documents for consumers.
        package var ready: Bool

        package init(addresses: [[UInt8]], hostname: String? = nil, ready: Bool = true) {
            self.addresses = addresses
            self.hostname = hostname
            self.ready = ready
        }
    }

    package var namespace: String
    package var name: String
    /// From the `kubernetes.io/service-name` label.
    package var serviceName: String
    package var ports: [ClusterServiceEntry.Port]
    package var endpoints: [Endpoint]

    package init(namespace: String, name: String, serviceName: String, ports: [ClusterServiceEntry.Port] = [],
                 endpoints: [Endpoint] = []) {
        self.namespace = namespace
        self.name = name
        self.serviceName = serviceName
        self.ports = ports
        self.endpoints = endpoints
    }

    /// Reads an EndpointSlice; nil without a name, namespace or Service label, or for FQDN slices.
    package init?(_ object: JSONValue) {
        guard let name = object.name, let namespace = object.namespace,
              let service = object.labels["kubernetes.io/service-name"], !service.isEmpty else { return nil }
        let family = object["addressType"]?.stringValue ?? "IPv4"
        guard family == "IPv4" || family == "IPv6" else { return nil }
        let width = family == "IPv4" ? 4 : 16
        let endpoints = (object["endpoints"]?.arrayValue ?? []).map { endpoint in
            Endpoint(addresses: (endpoint["addresses"]?.arrayValue ?? []).compactMap(\.stringValue)
                        .compactMap(IPAddressText.bytes).filter { $0.count == width },
                     hostname: endpoint["hostname"]?.stringValue,
                     ready: endpoint[path: ["conditions", "ready"]]?.boolValue ?? true)
        }
        self.init(namespace: namespace, name: name, serviceName: service,
                  ports: (object["ports"]?.arrayValue ?? []).compactMap(ClusterServiceEntry.Port.init),
                  endpoints: endpoints)
    }
}
