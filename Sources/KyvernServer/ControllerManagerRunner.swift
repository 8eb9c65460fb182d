import Foundation
import KyvernClient
public import KyvernControllers
public import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// What `kyvern controller-manager` was asked to do, as its flags say it.
public struct ControllerManagerProcessOptions: Sendable {
    public var kubeconfig: String
    /// `--controllers`, comma-separated.
    public var controllers: String
    public var leaderElect: Bool
    /// `--concurrent-<name>-syncs` by controller name.
    public var concurrentSyncs: [String: Int]
    public var metricsBindAddress: String
    public var logLevel: String
    /// `--cluster-cidr`: where node pod ranges come from.
    public var clusterCIDR = "10.42.0.0/16"
    /// The node lifecycle controller's periods and rates.
    public var nodeLifecycle = NodeLifecycleSettings()
    /// The HorizontalPodAutoscaler's period, tolerance and default scale-down window.
    public var autoscaler = AutoscalerSettings()
    /// `--lb-address-pool`: where LoadBalancer Services get addresses; empty: the nodes' addresses.
    public var loadBalancerAddressPool = try! LoadBalancerAddressPool([])
    /// `--use-service-account-credentials`: each controller acts as its own ServiceAccount.
    public var useServiceAccountCredentials = false

    public init(kubeconfig: String, controllers: String, leaderElect: Bool, concurrentSyncs: [String: Int],
                metricsBindAddress: String, logLevel: String) {
        self.kubeconfig = kubeconfig
        self.controllers = controllers
        self.leaderElect = leaderElect
        self.concurrentSyncs = concurrentSyncs
        self.metricsBindAddress = metricsBindAddress
        self.logLevel = logLevel
    }

    var manager: ControllerManagerOptions {
        var options = ControllerManagerOptions()
        options.controllers = controllers.split(separator: ",")
            .map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        options.leaderElect = leaderElect
        options.concurrentSyncs = concurrentSyncs
        options.clusterCIDR = clusterCIDR
        nodeLifecycle.apply(to: &options)
        autoscaler.apply(to: &options)
        options.loadBalancerAddressPool = loadBalancerAddressPool
        return options
    }

    /// Refuses unknown controller names and worker counts below one, before anything starts.
    public func validate() throws {
        if let unknown = manager.unknownControllers(among: ControllerCatalog.all).first {
            throw ControllerManagerStartError(message: "--controllers: \"\(unknown)\" is not in the list of known controllers")
        }
        do {
            _ = try ClusterCIDR(parsing: clusterCIDR)
        } catch {
            throw ControllerManagerStartError(message: error.description)
        }
        for (name, value) in concurrentSyncs.sorted(by: { $0.key < $1.key }) where value < 1 {
            throw ControllerManagerStartError(message: "--concurrent-\(name)-syncs must be at least 1")
        }
    }
}

/// Builds and runs the controller manager, alone or inside `kyvern server`.
public enum ControllerManagerRunner {
    /// The controller manager as a service reaching the API server through `kubeconfig`, and the
    /// clients to shut down after it. With `useServiceAccountCredentials` each controller acts as
    /// its own ServiceAccount through views of one credential-less client; informers, leader
    /// election and token requests stay on the kubeconfig's identity.
    static func makeControllerManager(kubeconfig: String, options: ControllerManagerOptions,
                                      useServiceAccountCredentials: Bool,
                                      registry: PrometheusCollectorRegistry, logger: Logger,
                                      definitions: [ControllerDefinition] = ControllerCatalog.all) throws
        -> (ControllerManager, [APIClient])
    {
        let configuration = try ClientConfiguration(kubeconfigPath: kubeconfig, component: "kyvern-controller-manager")
        let client = try APIClient(configuration: configuration,
                                   logger: logger.withLabel("kyvern.controller-manager.client"))
        var options = options
        if options.rootCACertificatePEM == nil {
            options.rootCACertificatePEM = configuration.certificateAuthorityPEM
        }
        var clients = [client]
        var controllerClients: (any ControllerClients)?
        if useServiceAccountCredentials {
            let base = try APIClient(configuration: configuration.withoutCredentials(),
                                     logger: logger.withLabel("kyvern.controller-manager.controllers"))
            clients.append(base)
            controllerClients = ServiceAccountCredentials(manager: client, base: base)
        }
        let manager = ControllerManager(client: client, options: options, definitions: definitions, registry: registry,
                                        logger: logger, controllerClients: controllerClients)
        return (manager, clients)
    }

    /// `kyvern controller-manager`: the controllers and their metrics endpoint until SIGINT or SIGTERM.
    public static func run(_ options: ControllerManagerProcessOptions) async throws {
        var logger = Logger(label: "kyvern.controller-manager")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        let registry = PrometheusCollectorRegistry()
        let (manager, clients) = try makeControllerManager(
            kubeconfig: options.kubeconfig, options: options.manager,
            useServiceAccountCredentials: options.useServiceAccountCredentials, registry: registry, logger: logger)
        do {
            try await StandaloneRunner.run(manager, client: clients[0], metricsBindAddress: options.metricsBindAddress,
                                           registry: registry, logger: logger)
        } catch {
            for client in clients.dropFirst() { try? await client.shutdown() }
            throw error
        }
        for client in clients.dropFirst() { try? await client.shutdown() }
    }
}

public struct ControllerManagerStartError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
