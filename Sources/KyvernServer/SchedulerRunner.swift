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
    /// Schedule only while holding the `kube-system/kube-scheduler` Lease (`--leader-elect`).
    public var leaderElect: Bool

    public init(kubeconfig: String, configFile: String?, metricsBindAddress: String, logLevel: String,
                leaderElect: Bool = false) {
        self.kubeconfig = kubeconfig
        self.configFile = configFile
        self.metricsBindAddress = metricsBindAddress
        self.logLevel = logLevel
        self.leaderElect = leaderElect
    }
}

/// Builds and runs the scheduler, alone or inside `kyvern server`.
public enum SchedulerRunner {
    /// The configuration to run: the `--config` file, else upstream's defaults; either way
    /// validated as kube-scheduler does before anything starts.
    static func configuration(file: String?, client: any KubernetesClient, logger: Logger,
                              storage: StorageUpdates? = nil) throws -> SchedulerProfiles {
        let registry = PluginRegistry.running(client: client, storage: storage)
        let logger = logger.withLabel("kyvern.scheduler.config")
        guard let file else { return try SchedulerProfiles.defaults(registry: registry, logger: logger) }
        let yaml: String
        do {
            yaml = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw SchedulerStartError(message: "scheduler configuration \(file): \(error.localizedDescription)")
        }
        do {
            return try SchedulerProfiles.load(yaml: yaml, registry: registry, logger: logger)
        } catch {
            throw SchedulerStartError(message: "scheduler configuration \(file): invalid KubeSchedulerConfiguration: \(error)")
        }
    }

    /// The scheduler as a service reaching the API server through `kubeconfig`.
    static func makeScheduler(kubeconfig: String, configFile: String?, registry: PrometheusCollectorRegistry,
                              logger: Logger) async throws -> (Scheduler, APIClient, SchedulerProfiles) {
        let configuration = try Kubeconfig.load(path: kubeconfig).configuration(
            userAgent: "kyvern-scheduler/v1.36.0 (linux) kubernetes/kyvern")
        let client = try APIClient(configuration: configuration, logger: logger.withLabel("kyvern.scheduler.client"))
        do {
            // VolumeBinding waits for claims on the scheduler's own informers.
            let storage = StorageUpdates()
            let profiles = try Self.configuration(file: configFile, client: client, logger: logger, storage: storage)
            let scheduler = Scheduler(client: client, configuration: profiles, registry: registry, logger: logger,
                                      storage: storage)
            return (scheduler, client, profiles)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The scheduler as it runs: alone, or only while holding the Lease of its configuration's
    /// `leaderElection` (when several schedulers may share the cluster).
    static func runnable(_ scheduler: Scheduler, client: APIClient, profiles: SchedulerProfiles, leaderElect: Bool,
                         logger: Logger) -> any Service {
        guard leaderElect else { return scheduler }
        return LeaderElectedService(service: scheduler, elector: LeaderElector(
            client: client, config: leaderElectionConfig(profiles.leaderElection), logger: logger), logger: logger)
    }

    /// `kyvern scheduler`: the scheduler and its metrics endpoint until SIGINT or SIGTERM.
    public static func run(_ options: SchedulerOptions) async throws {
        var logger = Logger(label: "kyvern.scheduler")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        let registry = PrometheusCollectorRegistry()
        let (scheduler, client, profiles) = try await makeScheduler(
            kubeconfig: options.kubeconfig, configFile: options.configFile, registry: registry, logger: logger)
        let service = runnable(scheduler, client: client, profiles: profiles, leaderElect: options.leaderElect,
                               logger: logger)
        try await StandaloneRunner.run(service, client: client, metricsBindAddress: options.metricsBindAddress,
                                       registry: registry, logger: logger)
    }
}

extension SchedulerRunner {
    /// The Lease settings of the configuration's `leaderElection`, with upstream's identity:
    /// the host name plus a unique suffix.
    static func leaderElectionConfig(_ settings: KubeSchedulerConfiguration.LeaderElection) -> LeaderElectionConfig {
        LeaderElectionConfig(namespace: settings.resourceNamespace, name: settings.resourceName,
                             identity: ProcessInfo.processInfo.hostName + "_" + UUID().uuidString.lowercased(),
                             leaseDuration: settings.leaseDuration, renewDeadline: settings.renewDeadline,
                             retryPeriod: settings.retryPeriod)
    }
}

/// Runs a service only while its elector holds the Lease; losing the Lease ends the process's
/// group (as upstream's components exit), so a restart competes again from scratch.
struct LeaderElectedService: Service {
    let service: any Service
    let elector: LeaderElector
    let logger: Logger

    func run() async throws {
        let service = self.service
        try await cancelWhenGracefulShutdown {
            try await elector.run {
                logger.info("acquired the lease, scheduling", metadata: ["lease": "\(elector.config.namespace)/\(elector.config.name)"])
                try await service.run()
            }
        }
        if !Task.isCancelled {
            logger.error("leader election lost", metadata: ["lease": "\(elector.config.namespace)/\(elector.config.name)"])
        }
    }
}

public struct SchedulerStartError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
