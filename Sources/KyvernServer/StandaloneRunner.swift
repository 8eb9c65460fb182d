import KyvernClient
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// How a component started alone (`kyvern scheduler`, `kyvern controller-manager`,
/// `kyvern agent`) runs: its service beside a ``MetricsEndpoint`` serving its registry, until
/// SIGINT or SIGTERM or until either ends, then its client shut down on every path.
enum StandaloneRunner {
    /// `metricsBindAddress` nil runs no endpoint.
    static func run(_ component: any Service, client: APIClient, metricsBindAddress: String?,
                    registry: PrometheusCollectorRegistry, logger: Logger) async throws {
        try await run([component], client: client, metricsBindAddress: metricsBindAddress, registry: registry, logger: logger)
    }

    /// Several services of one component (the node agent and its endpoint) in one group.
    static func run(_ components: [any Service], client: APIClient, metricsBindAddress: String?,
                    registry: PrometheusCollectorRegistry, logger: Logger) async throws {
        do {
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = components.map {
                .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup)
            }
            if let metricsBindAddress {
                let endpoint = try MetricsEndpoint(address: metricsBindAddress, registry: registry, logger: logger)
                services.append(.init(service: endpoint, successTerminationBehavior: .gracefullyShutdownGroup,
                                      failureTerminationBehavior: .gracefullyShutdownGroup))
            }
            let group = ServiceGroup(configuration: .init(services: services,
                                                          gracefulShutdownSignals: [.sigterm, .sigint],
                                                          logger: logger))
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
