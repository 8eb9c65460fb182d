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
    /// The controller enforcing policies for the pods of `nodeName` with the service proxy's
    /// `mode` (`--proxy-mode`: nftables, iptables, or auto as the proxy detects it), or nil
    /// (logged) where the machine lacks that mode's tool: policies then go unenforced, as on a
    /// cluster without a policy CNI. Metrics go to `registry` when given.
    public static func makeController(client: any KubernetesClient, nodeName: String, mode: String = AgentOptions.defaultProxyMode,
                                      networkNamespace: String? = nil, registry: PrometheusCollectorRegistry? = nil,
                                      logger: Logger) -> (any Service)? {
        let logger = logger.withLabel("kyvern.netpol")
        let resolved = ProxyMode(rawValue: mode) ?? .detect()
        guard ProxyCommand.available(resolved.policyTool) else {
            logger.warning("\(resolved.policyTool) not found; NetworkPolicies are not enforced on this node", metadata: ["node": "\(nodeName)"])
            return nil
        }
        let factory: any MetricsFactory = registry.map { PrometheusMetricsFactory(registry: $0) } ?? MetricsSystem.factory
        return NetworkPolicyController(client: client, nodeName: nodeName, logger: logger, mode: resolved,
                                       networkNamespace: networkNamespace, metricsFactory: factory)
    }

    /// `kyvern netpol-bench`: a full policy sync of a synthetic cluster as one JSON line.
    public static func benchmark(policies: Int, pods: Int, mode: String = "nftables") async throws -> String {
        let result = try await PolicySyncBenchmark.run(policies: policies, pods: pods, mode: try ServiceProxyRunner.proxyMode(mode))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(result), as: UTF8.self)
    }

    /// `kyvern netpol-bench --dump`: the synthetic cluster's `nft -f` or `iptables-restore` input.
    public static func benchmarkText(policies: Int, pods: Int, mode: String = "nftables") throws -> String {
        let input = PolicySyncBenchmark.cluster(policies: policies, pods: pods)
        let set = PolicyCompiler(nodeName: "bench-node").compile(policies: input.policies, pods: input.pods,
                                                                 namespaces: input.namespaces)
        switch try ServiceProxyRunner.proxyMode(mode) {
        case .nftables: return NftPolicyBuilder().build(set).text
        case .iptables: return IptablesPolicyBuilder.restore(IptablesPolicyBuilder().build(set), applied: nil)
        }
    }
}
