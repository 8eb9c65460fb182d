public import CoreMetrics
public import KyvernClient
public import Logging
import NIOCore
public import ServiceLifecycle

/// Kyvern's cluster DNS: keeps Services and EndpointSlices from informers, answers the cluster
/// domain over UDP and TCP, forwards everything else, and stops on graceful shutdown.
public struct ClusterDNSServer: Service {
    let client: any KubernetesClient
    let configuration: ClusterDNSConfiguration
    let metrics: DNSMetrics
    let logger: Logger
    let records = ClusterDNSRecords()

    /// `metricsFactory` receives `kyvern_dns_*` series (the server's Prometheus registry).
    public init(client: any KubernetesClient, configuration: ClusterDNSConfiguration,
                metricsFactory: any MetricsFactory, logger: Logger) throws {
        guard DNSName(configuration.domain) != nil, !configuration.domain.isEmpty else {
            throw ClusterDNSConfigurationError(message: "cluster domain \"\(configuration.domain)\" is not a valid name")
        }
        guard !configuration.listenAddresses.isEmpty, (0...65535).contains(configuration.port) else {
            throw ClusterDNSConfigurationError(message: "cluster DNS needs a listen address and a port between 0 and 65535")
        }
        for upstream in configuration.upstreams ?? [] where DNSUpstream.parse(upstream) == nil {
            throw ClusterDNSConfigurationError(message: "upstream DNS server \"\(upstream)\" is not ip or ip:port")
        }
        self.client = client
        self.configuration = configuration
        self.metrics = DNSMetrics(factory: metricsFactory)
        self.logger = logger
    }

    public func run() async throws {
        let informers = SharedInformerFactory(client: client, logger: logger)
        await records.attach(to: informers)
        var udp: [DNSUDPListener] = []
        var tcp: [DNSTCPListener] = []
        do {
            for host in configuration.listenAddresses {
                udp.append(try await DNSUDPListener.bind(host: host, port: configuration.port, logger: logger))
                tcp.append(try await DNSTCPListener.bind(host: host, port: configuration.port,
                                                         idleTimeout: configuration.tcpIdleTimeout))
            }
        } catch {
            // The sockets already bound are closed, so that the failure is reported instead of NIO trapping.
            for listener in udp { await listener.close() }
            for listener in tcp { await listener.close() }
            throw error
        }
        let listening = udp.compactMap(\.localAddress) + tcp.compactMap(\.localAddress)
        let configured = (configuration.upstreams ?? DNSUpstream.nameservers()).compactMap(DNSUpstream.parse)
        let upstreams = DNSUpstream.excludingSelf(configured, listeners: listening)
        if upstreams.count < configured.count {
            logger.warning("skipping upstream DNS servers that are this server", metadata: [
                "skipped": "\(configured.filter { !upstreams.contains($0) })",
            ])
        }
        let handler = DNSQueryHandler(
            zone: ClusterZone(domain: DNSName(configuration.domain)!, ttl: configuration.ttl), records: records,
            forwarder: DNSForwarder(upstreams: upstreams, timeout: configuration.upstreamTimeout, metrics: metrics,
                                    logger: logger),
            metrics: metrics, logger: logger)
        logger.info("cluster DNS listening", metadata: [
            "addresses": "\(listening.map(\.description))", "domain": "\(configuration.domain)",
            "upstreams": "\(upstreams.map(\.description))",
        ])
        let (udpListeners, tcpListeners) = (udp, tcp)
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await informers.run() }
                    group.addTask { [records, logger] in
                        await informers.waitForSync()
                        if !Task.isCancelled {
                            records.markSynced()
                            logger.info("cluster DNS synced Services and EndpointSlices")
                        }
                    }
                    for listener in udpListeners { group.addTask { try await listener.run(handler) } }
                    for listener in tcpListeners { group.addTask { try await listener.run(handler) } }
                }
            }
        } catch is CancellationError {
            // Graceful shutdown cancels the listeners' iteration; that is a clean stop, not a failure.
        }
        logger.info("cluster DNS stopped")
    }
}
