import Foundation
public import KyvernClient
import KyvernNetwork
public import Logging
import Metrics
public import Prometheus
public import ServiceLifecycle

/// Builds the node's NetworkPolicy controller for the node agent's composition, and serves the
/// hidden `kyvern netpol-bench` command.
public enum NetworkPolicyRunner {
    /// The controller enforcing policies for the pods of `nodeName`, or nil (logged) where the
    /// machine has no `nft`: policies then go unenforced, as on a cluster without a policy CNI.
    /// Metrics go to `registry` when given.
    public static func makeController(client: any KubernetesClient, nodeName: String, networkNamespace: String? = nil,
                                      registry: PrometheusCollectorRegistry? = nil, logger: Logger) -> (any Service)? {
        let logger = logger.withLabel("kyvern.netpol")
        guard ProxyCommand.available("nft") else {
            logger.warning("nft not found; NetworkPolicies are not enforced on this node", metadata: ["node": "\(nodeName)"])
            return nil
        }
        let factory: any MetricsFactory = registry.map { PrometheusMetricsFactory(registry: $0) } ?? MetricsSystem.factory
        return NetworkPolicyController(client: client, nodeName: nodeName, logger: logger, networkNamespace: networkNamespace,
                                       metricsFactory: factory)
    }

    /// `kyvern netpol-bench`: a full policy sync of a synthetic cluster as one JSON line.
    public static func benchmark(policies: Int, pods: Int) async throws -> String {
        let result = try await PolicySyncBenchmark.run(policies: policies, pods: pods)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(result), as: UTF8.self)
    }

    /// `kyvern netpol-bench --dump`: the synthetic cluster's `nft -f` input.
    public static func benchmarkText(policies: Int, pods: Int) -> String {
        let input = PolicySyncBenchmark.cluster(policies: policies, pods: pods)
        let set = PolicyCompiler(nodeName: "bench-node").compile(policies: input.policies, pods: input.pods,
                                                                 namespaces: input.namespaces)
        return NftPolicyBuilder().build(set).text
    }
}
