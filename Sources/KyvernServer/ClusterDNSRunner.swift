public import KyvernClient
public import KyvernNetwork
public import Logging
import Metrics
public import Prometheus

/// Builds the cluster DNS server for the node agent's composition (and `kyvern server`'s testing
/// flag `--cluster-dns-listen`).
public enum ClusterDNSRunner {
    /// The DNS server as a service: listens on every address in `listenAddresses` at `port` (UDP
    /// and TCP), answers `domain` from the cluster through `client`, forwards other names to
    /// `upstreams` ("ip" or "ip:port"; nil: /etc/resolv.conf), and reports `kyvern_dns_*` metrics
    /// into `registry` (nil: swift-metrics' global factory).
    public static func makeServer(client: any KubernetesClient, listenAddresses: [String], port: Int = 53,
                                  domain: String = "cluster.local", upstreams: [String]? = nil,
                                  registry: PrometheusCollectorRegistry? = nil, logger: Logger) throws -> ClusterDNSServer {
        var configuration = ClusterDNSConfiguration(listenAddresses: listenAddresses, port: port, domain: domain,
                                                    upstreams: upstreams)
        configuration.ttl = 5
        return try ClusterDNSServer(client: client, configuration: configuration,
                                    metricsFactory: registry.map { PrometheusMetricsFactory(registry: $0) } ?? MetricsSystem.factory,
                                    logger: logger)
    }

    /// Splits "ADDR:PORT" or "[V6ADDR]:PORT".
    public static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else {
            throw ClusterDNSConfigurationError(message: "--cluster-dns-listen: expected ADDR:PORT, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            throw ClusterDNSConfigurationError(message: "--cluster-dns-listen: expected ADDR:PORT, got \(text)")
        }
        return (host, port)
    }
}
