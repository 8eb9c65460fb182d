import Foundation
public import KyvernClient
public import Logging
public import Prometheus
public import ServiceLifecycle

/// Runs the enabled controllers, only while this instance holds the leader Lease when leader
/// election is on, so two managers never act on the same objects.
///
/// The API server may not be up yet (inside `kyvern server` the manager starts beside it) or may
/// go away: a failed start or a lost watch restarts the controllers after a backoff, which is
/// safe because every reconcile is level-triggered.
public struct ControllerManager: Service {
    let client: any KubernetesClient
    /// The client each controller acts through; the manager's own by default.
    let controllerClients: any ControllerClients
    let options: ControllerManagerOptions
    let definitions: [ControllerDefinition]
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    public init(client: any KubernetesClient, options: ControllerManagerOptions,
                definitions: [ControllerDefinition] = ControllerCatalog.all,
                registry: PrometheusCollectorRegistry, logger: Logger,
                controllerClients: (any ControllerClients)? = nil) {
        self.client = client
        self.controllerClients = controllerClients ?? ManagerCredentials(client: client)
        self.options = options
        self.definitions = definitions
        self.registry = registry
        self.logger = logger
    }

    public var enabled: [ControllerDefinition] { definitions.filter(options.isEnabled) }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            guard options.leaderElect else { return try await runControllersRetrying() }
            try await runWhileLeading()
        }
    }

    /// Campaigns for the Lease and runs the controllers while holding it; after losing it, stops
    /// them and campaigns again (upstream exits instead; inside `kyvern server` that would take
    /// the API server down with it).
    func runWhileLeading() async throws {
        let identity = options.identity ?? Self.defaultIdentity()
        let elector = LeaderElector(client: client, config: LeaderElectionConfig(
            namespace: options.leaderElectionNamespace, name: options.leaderElectionName, identity: identity),
            logger: logger)
        while !Task.isCancelled {
            do {
                try await elector.run { try await runControllersRetrying() }
            } catch is CancellationError {
                return
            } catch {
                logger.error("leader election lost, controllers stopped", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Host name and a random suffix, as upstream names its candidates.
    static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.lowercased())"
    }

    /// Runs the controllers until cancelled, starting over after a failure.
    func runControllersRetrying() async throws {
        var delay = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                try await runControllers()
                return
            } catch is CancellationError {
                return
            } catch {
                logger.warning("controllers stopped, restarting", metadata: ["error": "\(error)", "delay": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// Starts every enabled controller on one shared informer factory (on the manager's identity,
    /// as upstream's informers are), each acting through its own client; returns when cancelled.
    func runControllers() async throws {
        let factory = SharedInformerFactory(client: client, logger: logger)
        var runners: [ControllerRunner] = []
        for definition in enabled {
            let controllerClient = try await controllerClients.client(for: definition)
            let context = ControllerContext(
                name: definition.name, client: controllerClient, informers: factory, registry: registry,
                workers: options.workers(for: definition.name), logger: logger, options: options)
            runners.append(try await definition.start(context))
        }
        logger.info("starting controllers", metadata: ["controllers": "\(runners.map(\.name).joined(separator: ","))"])
        let started = runners
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await factory.run() }
            group.addTask {
                await factory.waitForSync()
                try Task.checkCancellation()
                await withTaskGroup(of: Void.self) { runnersGroup in
                    for runner in started { runnersGroup.addTask { await runner.run() } }
                }
            }
            // Either ending (informers failed, or cancellation) ends both.
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}
