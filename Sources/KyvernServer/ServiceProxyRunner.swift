import Foundation
public import KyvernClient
import KyvernNetwork
public import Logging
import Metrics
public import Prometheus
public import ServiceLifecycle

/// Builds the node's service proxy for the node agent's composition, and serves the hidden
/// `kyvern proxy-bench` commands the network benchmark uses.
public enum ServiceProxyRunner {
    /// The proxy for `nodeName`: node ports answer on `nodeAddresses` (and 127.0.0.1; every
    /// local address when empty), traffic from outside `clusterCIDR` is masqueraded. Metrics go
    /// to `registry` when given. `networkNamespace` (a name under /var/run/netns) programs that
    /// namespace instead of the process's own, for nodes simulated as namespaces. `mode` is
    /// `--proxy-mode` (auto, nftables or iptables).
    public static func makeProxy(client: any KubernetesClient, nodeName: String, nodeAddresses: [String],
                                 clusterCIDR: String, registry: PrometheusCollectorRegistry? = nil,
                                 networkNamespace: String? = nil, mode: String = AgentOptions.defaultProxyMode,
                                 logger: Logger) -> any Service {
        let factory: any MetricsFactory = registry.map { PrometheusMetricsFactory(registry: $0) } ?? MetricsSystem.factory
        return ServiceProxy(client: client,
                            node: .init(name: nodeName, addresses: nodeAddresses.filter { !$0.contains(":") },
                                        clusterCIDR: clusterCIDR),
                            metricsFactory: factory, logger: logger.withLabel("kyvern.proxy"),
                            backend: (ProxyMode(rawValue: mode) ?? .detect()).backend(namespace: networkNamespace))
    }

    /// `kyvern proxy-bench rules --dump`: the synthetic cluster's full-sync input for `mode`.
    public static func benchmarkRestoreText(services: Int, endpointsPerService: Int, mode: String = "iptables") throws -> String {
        RuleSyncBenchmark.restoreText(services: services, endpointsPerService: endpointsPerService, mode: try proxyMode(mode))
    }

    /// `kyvern proxy-bench rules`: the rule-sync benchmark as one JSON line.
    public static func benchmarkRules(services: Int, endpointsPerService: Int, mode: String = "iptables") async throws -> String {
        let result = try await RuleSyncBenchmark.run(services: services, endpointsPerService: endpointsPerService,
                                                     mode: try proxyMode(mode))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(result), as: UTF8.self)
    }

    /// `kyvern proxy-bench apply`: programs one ClusterIP Service (`ip:port` → `endpoints`) as the
    /// proxy would, and leaves the rules in place for traffic; `remove` takes them out.
    public static func applyOne(clusterIP: String, port: Int, endpoints: [String], clusterCIDR: String,
                                mode: String = "iptables") async throws {
        let spec = ServicePortSpec(name: ServicePortName(namespace: "bench", name: "web", port: "http"), proto: .tcp,
                                   clusterIPs: [clusterIP], port: port)
        let list = endpoints.compactMap { text -> ProxyEndpoint? in
            let parts = text.split(separator: ":")
            guard parts.count == 2, let number = Int(parts[1]) else { return nil }
            return ProxyEndpoint(ip: String(parts[0]), port: number, nodeName: "bench-node")
        }
        _ = try await proxyMode(mode).backend().apply([.init(port: spec, endpoints: list)],
                                                      node: .init(name: "bench-node", addresses: [], clusterCIDR: clusterCIDR),
                                                      full: true)
    }

    /// `kyvern proxy-bench remove`.
    public static func removeAll(mode: String = "iptables") async throws {
        try await proxyMode(mode).backend().removeAll()
    }

    struct UnknownMode: Error, CustomStringConvertible {
        var mode: String
        var description: String { "unknown proxy mode \"\(mode)\" (iptables or nftables)" }
    }

    static func proxyMode(_ text: String) throws -> ProxyMode {
        guard let mode = ProxyMode(rawValue: text) else { throw UnknownMode(mode: text) }
        return mode
    }
}
