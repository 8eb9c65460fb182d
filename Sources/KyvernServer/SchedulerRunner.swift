import Foundation
import KyvernClient
public import KyvernScheduler
public import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// What `kyvern scheduler` was asked to do.
public struct SchedulerOptions: Sendable {
    public var kubeconfig: String
    public var configFile: String?
    public var metricsBindAddress: String
    public var logLevel: String

    public init(kubeconfig: String, configFile: String?, metricsBindAddress: String, logLevel: String) {
        self.kubeconfig = kubeconfig
        self.configFile = configFile
        self.metricsBindAddress = metricsBindAddress
        self.logLevel = logLevel
    }
}

/// Builds and runs the scheduler, alone or inside `kyvern server`.
public enum SchedulerRunner {
    /// The profiles to run: from `--config` once configuration files are supported, else
    /// upstream's default profile.
    static func profiles(configFile: String?) throws -> [String: Framework] {
        if let configFile {
            throw SchedulerStartError(message: "--config \(configFile): scheduler configuration files are not supported yet")
        }
        return Scheduler.defaultProfiles()
    }

    /// The scheduler as a service reaching the API server through `kubeconfig`.
    static func makeScheduler(kubeconfig: String, configFile: String?, registry: PrometheusCollectorRegistry,
                              logger: Logger) throws -> (Scheduler, APIClient) {
        let configuration = try Kubeconfig.load(path: kubeconfig).configuration(
            userAgent: "kyvern-scheduler/v1.36.0 (linux) kubernetes/kyvern")
        let client = try APIClient(configuration: configuration, logger: logger.withLabel("kyvern.scheduler.client"))
        let scheduler = Scheduler(client: client, profiles: try profiles(configFile: configFile), registry: registry,
                                  logger: logger)
        return (scheduler, client)
    }

    /// `kyvern scheduler`: the scheduler and its metrics endpoint until SIGINT or SIGTERM.
    public static func run(_ options: SchedulerOptions) async throws {
        var logger = Logger(label: "kyvern.scheduler")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        let registry = PrometheusCollectorRegistry()
        let (scheduler, client) = try makeScheduler(kubeconfig: options.kubeconfig, configFile: options.configFile,
                                                    registry: registry, logger: logger)
        let endpoint = try MetricsEndpoint(address: options.metricsBindAddress, registry: registry, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: endpoint, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}

public struct SchedulerStartError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
