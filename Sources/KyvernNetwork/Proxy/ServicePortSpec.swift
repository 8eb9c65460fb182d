package import KyvernAPI

/// What the proxy needs of one Service port: where it listens (cluster IPs, port, node port) and
/// how traffic picks endpoints (affinity, traffic policies).
package struct ServicePortSpec: Hashable, Sendable {
    package var name: ServicePortName
    package var proto: ProxyProtocol
    /// The Service's IPv4 cluster IPs (the proxy programs the IPv4 family only).
    package var clusterIPs: [String]
    package var port: Int
    /// nil unless the Service is NodePort or LoadBalancer and a node port was allocated.
    package var nodePort: Int?
    /// Seconds a client IP sticks to its endpoint (`sessionAffinity: ClientIP`), else nil.
    package var affinityTimeout: Int?
    /// `externalTrafficPolicy: Local` on an externally reachable Service.
    package var externalPolicyLocal: Bool
    /// `internalTrafficPolicy: Local`.
    package var internalPolicyLocal: Bool

    package init(name: ServicePortName, proto: ProxyProtocol, clusterIPs: [String], port: Int, nodePort: Int? = nil,
                 affinityTimeout: Int? = nil, externalPolicyLocal: Bool = false, internalPolicyLocal: Bool = false) {
        self.name = name
        self.proto = proto
        self.clusterIPs = clusterIPs
        self.port = port
        self.nodePort = nodePort
        self.affinityTimeout = affinityTimeout
        self.externalPolicyLocal = externalPolicyLocal
        self.internalPolicyLocal = internalPolicyLocal
    }

    /// Whether traffic can arrive from outside the cluster network (here: through a node port).
    package var externallyAccessible: Bool { nodePort != nil }

    /// Whether some traffic is spread over endpoints on every node (upstream's rule: internal
    /// traffic unless its policy is Local, external traffic unless its policy is Local).
    package var usesClusterEndpoints: Bool {
        !internalPolicyLocal || (externallyAccessible && !externalPolicyLocal)
    }

    /// Whether some traffic goes only to endpoints on this node.
    package var usesLocalEndpoints: Bool {
        internalPolicyLocal || (externallyAccessible && externalPolicyLocal)
    }

    /// upstream's default affinity timeout (3 hours) when `sessionAffinityConfig` is absent.
    static let defaultAffinityTimeout = 10800

    /// The ports the proxy programs for `service`: none for ExternalName and headless Services or
    /// ones without an IPv4 cluster IP; unknown protocols are skipped.
    package static func ports(of service: JSONValue) -> [ServicePortSpec] {
        guard let namespace = service.namespace, let name = service.name,
              let spec = service["spec"] else { return [] }
        if spec["type"]?.stringValue == "ExternalName" { return [] }
        var ips = spec["clusterIPs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if ips.isEmpty, let single = spec["clusterIP"]?.stringValue { ips = [single] }
        ips = ips.filter { $0 != "None" && !$0.isEmpty && !$0.contains(":") }
        guard !ips.isEmpty else { return [] }
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        let external = type == "NodePort" || type == "LoadBalancer"
        var affinity: Int?
        if spec["sessionAffinity"]?.stringValue == "ClientIP" {
            affinity = spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]]?.intValue.map { Int($0) }
                ?? defaultAffinityTimeout
        }
        let externalLocal = external && spec["externalTrafficPolicy"]?.stringValue == "Local"
        let internalLocal = spec["internalTrafficPolicy"]?.stringValue == "Local"
        return (spec["ports"]?.arrayValue ?? []).compactMap { port in
            guard let number = port["port"]?.intValue, let proto = ProxyProtocol(apiValue: port["protocol"]?.stringValue)
            else { return nil }
            let nodePort = external ? port["nodePort"]?.intValue.flatMap { $0 > 0 ? Int($0) : nil } : nil
            return ServicePortSpec(
                name: ServicePortName(namespace: namespace, name: name, port: port["name"]?.stringValue ?? ""),
                proto: proto, clusterIPs: ips, port: Int(number), nodePort: nodePort, affinityTimeout: affinity,
                externalPolicyLocal: externalLocal, internalPolicyLocal: internalLocal)
        }
    }
}
