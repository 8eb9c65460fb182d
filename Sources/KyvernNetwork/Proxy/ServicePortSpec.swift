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
    /// Addresses outside the cluster that also lead to this port: `spec.externalIPs` and the
    /// load balancer's `status.loadBalancer.ingress` IPs (IPv4, not `ipMode: Proxy`).
    package var externalAddresses: [String]
    /// Seconds a client IP sticks to its endpoint (`sessionAffinity: ClientIP`), else nil.
    package var affinityTimeout: Int?
    /// `externalTrafficPolicy: Local` on an externally reachable Service.
    package var externalPolicyLocal: Bool
    /// `internalTrafficPolicy: Local`.
    package var internalPolicyLocal: Bool

    package init(name: ServicePortName, proto: ProxyProtocol, clusterIPs: [String], port: Int, nodePort: Int? = nil,
                 externalAddresses: [String] = [], affinityTimeout: Int? = nil, externalPolicyLocal: Bool = false, internalPolicyLocal: Bool = false) {
        self.name = name
        self.proto = proto
        self.clusterIPs = clusterIPs
        self.port = port
        self.nodePort = nodePort
        self.externalAddresses = externalAddresses
        self.affinityTimeout = affinityTimeout
        self.externalPolicyLocal = externalPolicyLocal
        self.internalPolicyLocal = internalPolicyLocal
    }

    /// Whether traffic can arrive from outside the cluster network: through a node port, an
    /// external IP or a load balancer address.
    package var externallyAccessible: Bool { nodePort != nil || !externalAddresses.isEmpty }

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
        var externalAddresses = (spec["externalIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        if type == "LoadBalancer" {
            for ingress in service[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []
            where ingress["ipMode"]?.stringValue != "Proxy" {
                if let ip = ingress["ip"]?.stringValue { externalAddresses.append(ip) }
            }
        }
        var seen = Set<String>()
        externalAddresses = externalAddresses.filter { !$0.contains(":") && !ips.contains($0) && seen.insert($0).inserted }
        // Upstream applies the external policy wherever traffic can come from outside.
        let externalLocal = (external || !externalAddresses.isEmpty) && spec["externalTrafficPolicy"]?.stringValue == "Local"
        let internalLocal = spec["internalTrafficPolicy"]?.stringValue == "Local"
        return (spec["ports"]?.arrayValue ?? []).compactMap { port in
            guard let number = port["port"]?.intValue, let proto = ProxyProtocol(apiValue: port["protocol"]?.stringValue)
            else { return nil }
            let nodePort = external ? port["nodePort"]?.intValue.flatMap { $0 > 0 ? Int($0) : nil } : nil
            return ServicePortSpec(
                name: ServicePortName(namespace: namespace, name: name, port: port["name"]?.stringValue ?? ""),
                proto: proto, clusterIPs: ips, port: Int(number), nodePort: nodePort,
                externalAddresses: externalAddresses, affinityTimeout: affinity,
                externalPolicyLocal: externalLocal, internalPolicyLocal: internalLocal)
        }
    }
}
