public import KyvernAPI

/// The cluster DNS Service and this node's endpoint for it. Kyvern serves DNS on every node (on
/// the pod bridge's address), so `kube-dns` has no selector and `internalTrafficPolicy: Local`:
/// each node's proxy sends 10.43.0.10 to the server on the same node, and each node publishes its
/// own EndpointSlice for it.
public struct ClusterDNSObjects: Sendable {
    public static let namespace = "kube-system"
    public static let serviceName = "kube-dns"
    public static let managedBy = "node-agent.kyvern.io"

    public var clusterIP: String
    public var nodeName: String
    /// Where this node's DNS server listens (the bridge's address).
    public var address: String

    public init(clusterIP: String, nodeName: String, address: String) {
        self.clusterIP = clusterIP
        self.nodeName = nodeName
        self.address = address
    }

    public var service: JSONValue {
        [
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": .string(Self.serviceName), "namespace": .string(Self.namespace),
                "labels": ["k8s-app": "kube-dns", "kubernetes.io/name": "KyvernDNS", "kubernetes.io/cluster-service": "true"],
            ],
            "spec": [
                "clusterIP": .string(clusterIP),
                "internalTrafficPolicy": "Local",
                "ports": [
                    ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53],
                    ["name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53],
                ],
            ],
        ]
    }

    public var sliceName: String { "\(Self.serviceName)-\(nodeName)" }

    public var endpointSlice: JSONValue {
        [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": [
                "name": .string(sliceName), "namespace": .string(Self.namespace),
                "labels": ["kubernetes.io/service-name": .string(Self.serviceName),
                           "endpointslice.kubernetes.io/managed-by": .string(Self.managedBy)],
            ],
            "addressType": "IPv4",
            "endpoints": [[
                "addresses": [.string(address)], "nodeName": .string(nodeName),
                "conditions": ["ready": true, "serving": true, "terminating": false],
            ]],
            "ports": [
                ["name": "dns", "port": 53, "protocol": "UDP"],
                ["name": "dns-tcp", "port": 53, "protocol": "TCP"],
            ],
        ]
    }
}
