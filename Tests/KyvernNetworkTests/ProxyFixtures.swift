import KyvernAPI

@testable import KyvernNetwork

/// Services, slices and a node for the proxy's unit tests.
enum ProxyFixtures {
    static let node = RuleBuilder.Node(name: "node-a", addresses: ["192.168.5.10"], clusterCIDR: "10.42.0.0/16")

    static func port(_ name: String = "web", namespace: String = "default", portName: String = "http",
                     proto: ProxyProtocol = .tcp, ip: String = "10.43.0.20", port: Int = 80, nodePort: Int? = nil,
                     affinity: Int? = nil, externalLocal: Bool = false, internalLocal: Bool = false) -> ServicePortSpec {
        ServicePortSpec(name: ServicePortName(namespace: namespace, name: name, port: portName), proto: proto,
                        clusterIPs: [ip], port: port, nodePort: nodePort, affinityTimeout: affinity,
                        externalPolicyLocal: externalLocal, internalPolicyLocal: internalLocal)
    }

    static func endpoints(_ count: Int, port: Int = 8080, node: String = "node-a") -> [ProxyEndpoint] {
        (1...count).map { ProxyEndpoint(ip: "10.42.0.\($0 + 10)", port: port, nodeName: node) }
    }

    static func build(_ entries: [RuleBuilder.Entry], node: RuleBuilder.Node = node) -> RuleSet {
        RuleBuilder(node: node).build(entries)
    }

    static func sep(_ port: ServicePortSpec, _ ip: String, _ number: Int = 8080) -> String {
        ChainNames.endpoint(port, ProxyEndpoint(ip: ip, port: number))
    }

    static func json(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)) ?? .null
    }
}
