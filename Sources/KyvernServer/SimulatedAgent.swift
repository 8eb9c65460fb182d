import Foundation
import KyvernAPI
import KyvernClient
public import KyvernKubelet
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// What `kyvern agent --simulate N` was asked to do.
public struct SimulatedAgentOptions: Sendable {
    public var kubeconfigPath: String
    public var logLevel: String
    public var nodes: SimulatedNodeConfig
    /// `--metrics-bind-address`: where the fleet's metrics are served; nil serves none.
    public var metricsBindAddress: String?

    public init(kubeconfigPath: String, logLevel: String, nodes: SimulatedNodeConfig, metricsBindAddress: String? = nil) {
        self.kubeconfigPath = kubeconfigPath
        self.logLevel = logLevel
        self.nodes = nodes
        self.metricsBindAddress = metricsBindAddress
    }
}

extension SimulatedAgentOptions {
    /// The flags of `kyvern agent --simulate` as typed, checked and converted; throws a message
    /// naming the flag.
    public static func parse(
        kubeconfig: String?, logLevel: String, simulate count: Int, namePrefix: String, cpu: String, memory: String,
        maxPods: Int, ephemeralStorage: String, nodeLabels: String?, registerWithTaints: String?, zones: Int,
        leaseRenewInterval: String, nodeStatusUpdateFrequency: String, metricsBindAddress: String? = nil
    ) throws -> SimulatedAgentOptions {
        guard let kubeconfig, !kubeconfig.isEmpty else {
            throw SimulatedNodeConfigError("--kubeconfig is required: the agent reaches the server only through it")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw SimulatedNodeConfigError("--log-level: not a level: \(logLevel)")
        }
        func quantity(_ text: String, _ flag: String) throws -> Quantity {
            do {
                return try Quantity(parsing: text)
            } catch {
                throw SimulatedNodeConfigError("--\(flag): \(error)")
            }
        }
        func duration(_ text: String, _ flag: String) throws -> Duration {
            guard let value = ServerOptions.parseDuration(text) else {
                throw SimulatedNodeConfigError("--\(flag): not a duration: \(text)")
            }
            return value
        }
        var nodes = SimulatedNodeConfig(count: count)
        nodes.namePrefix = namePrefix
        nodes.cpu = try quantity(cpu, "cpu")
        nodes.memory = try quantity(memory, "memory")
        nodes.maxPods = maxPods
        nodes.ephemeralStorage = try quantity(ephemeralStorage, "ephemeral-storage")
        nodes.labels = try SimulatedNodeConfig.parseLabels(nodeLabels ?? "")
        nodes.taints = try SimulatedNodeConfig.parseTaints(registerWithTaints ?? "")
        nodes.zones = zones
        nodes.leaseRenewInterval = try duration(leaseRenewInterval, "lease-renew-interval")
        nodes.statusUpdateFrequency = try duration(nodeStatusUpdateFrequency, "node-status-update-frequency")
        try nodes.validate()
        if let metricsBindAddress {
            do {
                _ = try MetricsEndpoint(address: metricsBindAddress, registry: PrometheusCollectorRegistry(), logger: Logger(label: "kyvern.agent"))
            } catch {
                throw SimulatedNodeConfigError("\(error)")
            }
        }
        return SimulatedAgentOptions(kubeconfigPath: kubeconfig, logLevel: logLevel, nodes: nodes,
                                     metricsBindAddress: metricsBindAddress)
    }
}

extension KyvernServer {
    /// The user agent (and so the field manager) of the simulated node agent's writes.
    static let agentUserAgent = "kyvern-agent/v1.36.0 (linux) kubernetes/kyvern"

    /// Runs simulated nodes against the server of a kubeconfig until SIGINT or SIGTERM; the nodes
    /// stay registered afterwards.
    public static func runSimulatedAgent(_ options: SimulatedAgentOptions) async throws {
        var logger = Logger(label: "kyvern.agent")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        try options.nodes.validate()
        let configuration = try Kubeconfig.load(path: options.kubeconfigPath).configuration(userAgent: agentUserAgent)
        let client = try APIClient(configuration: configuration, logger: logger.withLabel("kyvern.agent.client"))
        let registry = PrometheusCollectorRegistry()
        let fleet = SimulatedNodeFleet(client: client, config: options.nodes, registry: registry, logger: logger)
        try await StandaloneRunner.run(fleet, client: client, metricsBindAddress: options.metricsBindAddress,
                                       registry: registry, logger: logger)
    }
}
