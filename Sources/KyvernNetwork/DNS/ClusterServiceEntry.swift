package import KyvernAPI

/// What DNS needs of a Service, read once from the object when the informer delivers it.
package struct ClusterServiceEntry: Sendable, Hashable {
    package struct Port: Sendable, Hashable {
        package var name: String
        /// "tcp", "udp" or "sctp": SRV names use the protocol in lower case.
        package var proto: String
        package var port: UInt16

        package init(name: String, proto: String, port: UInt16) {
            self.name = name
            self.proto = proto
            self.port = port
        }
    }

    package var namespace: String
    package var name: String
    /// The cluster IPs as bytes (4 or 16 each); empty for headless and ExternalName Services.
    package var clusterIPs: [[UInt8]]
    package var isHeadless: Bool
    package var externalName: String?
    package var ports: [Port]
    package var publishNotReadyAddresses: Bool

    package init(namespace: String, name: String, clusterIPs: [[UInt8]] = [], isHeadless: Bool = false,
                 externalName: String? = nil, ports: [Port] = [], publishNotReadyAddresses: Bool = false) {
        self.namespace = namespace
        self.name = name
        self.clusterIPs = clusterIPs
        self.isHeadless = isHeadless
        self.externalName = externalName
        self.ports = ports
        self.publishNotReadyAddresses = publishNotReadyAddresses
    }

    /// Reads a v1 Service; nil when it has no name or namespace.
    package init?(_ object: JSONValue) {
        guard let name = object.name, let namespace = object.namespace else { return nil }
        let spec = object["spec"]
        let type = spec?["type"]?.stringValue ?? "ClusterIP"
        var ips = spec?["clusterIPs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if ips.isEmpty, let ip = spec?["clusterIP"]?.stringValue { ips = [ip] }
        let externalName = type == "ExternalName" ? spec?["externalName"]?.stringValue : nil
        self.init(namespace: namespace, name: name,
                  clusterIPs: externalName == nil ? ips.compactMap(IPAddressText.bytes) : [],
                  isHeadless: externalName == nil && ips.first == "None",
                  externalName: externalName,
                  ports: (spec?["ports"]?.arrayValue ?? []).compactMap(Port.init),
                  publishNotReadyAddresses: spec?["publishNotReadyAddresses"]?.boolValue ?? false)
    }
}

extension ClusterServiceEntry.Port {
    /// A Service or EndpointSlice port; protocol defaults to TCP as the API does.
    init?(_ object: JSONValue) {
        guard let port = object["port"]?.intValue, let value = UInt16(exactly: port) else { return nil }
        self.init(name: object["name"]?.stringValue ?? "",
                  proto: (object["protocol"]?.stringValue ?? "TCP").lowercased(), port: value)
    }
}
