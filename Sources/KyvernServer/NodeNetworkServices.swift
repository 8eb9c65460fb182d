import KyvernClient
import KyvernNetwork
import Logging
import Prometheus
import ServiceLifecycle

/// The clients the node's service proxy and cluster DNS act through: their own identities on the
/// server's node (see ``NodeComponentIdentities``); a joined node's own identity elsewhere.
struct NodeNetworkClients: Sendable {
    var proxy: any KubernetesClient
    var dns: any KubernetesClient
}

/// The services a node runs once its pod network is set up: they need the node's pod range and
/// bridge address, which ``NodeNetwork`` learns first.
enum NodeNetworkServices {
    static func make(clients: NodeNetworkClients, facts: NodeNetworkFacts, options: AgentOptions,
                     registry: PrometheusCollectorRegistry, logger: Logger) throws -> [any Service] {
        var services: [any Service] = []
        services.append(ServiceProxyRunner.makeProxy(client: clients.proxy, nodeName: facts.nodeName,
                                                     nodeAddresses: options.nodeIP.map { [$0] } ?? [],
                                                     clusterCIDR: clusterBoundary(options: options, facts: facts),
                                                     registry: registry, mode: options.proxyMode, logger: logger))
        if options.networkPolicy, let policies = NetworkPolicyRunner.makeController(client: clients.proxy, nodeName: facts.nodeName,
                                                                mode: options.proxyMode, registry: registry, logger: logger) {
            services.append(policies)
        }
        if options.resolvedClusterDNS != nil {
            // Each node answers its own pods on the bridge; the kube-dns Service (internal traffic
            // policy Local) sends 10.43.0.10 here.
            services.append(try ClusterDNSRunner.makeServer(client: clients.dns, listenAddresses: [facts.bridgeAddress], port: 53,
                                                            domain: options.clusterDomain, registry: registry,
                                                            logger: logger.withLabel("kyvern.dns")))
        }
        return services
    }

    /// The range the proxy treats as the cluster's pods: the cluster range when this node's pods
    /// lie in it, else (a node given another range by hand) the node's own.
    static func clusterBoundary(options: AgentOptions, facts: NodeNetworkFacts) -> String {
        if let cluster = IPv4Network(options.clusterCIDR), cluster.contains(facts.podRange) { return cluster.description }
        return facts.podRange.description
    }
}
