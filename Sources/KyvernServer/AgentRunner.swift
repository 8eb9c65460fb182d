import Foundation
import KyvernClient
import KyvernControllers
import KyvernKubelet
import KyvernNetwork
import KyvernRuntime
import KyvernRuntimeCRI
import Logging
import Prometheus
import ServiceLifecycle

/// Builds the real node agent from its parts: the image store, a runtime (runc or plain
/// processes), pod networking through CNI (runc only), volumes and the environment resolver.
enum AgentRunner {
    /// Directories under the data dir, fixed so a restarted agent finds its containers again.
    struct Layout {
        var agent: String
        var images: String
        var runtime: String
        var cniConfig: String
        var cniState: String
        /// Where the local-path provisioner keeps a directory per claim.
        var storage: String

        init(dataDirectory: String) {
            func sub(_ name: String) -> String { (dataDirectory as NSString).appendingPathComponent(name) }
            agent = sub("agent")
            images = sub("images")
            runtime = sub("runtime")
            cniConfig = sub("cni/net.d")
            cniState = sub("cni/state")
            storage = sub("storage")
        }
    }

    /// The agent, its HTTPS endpoint (logs, exec, attach, port-forward, stats), which the API
    /// server reaches with `endpointToken` (the node join token), and with runc the node's network
    /// (pod range, bridge, routes to other nodes, the Service proxy and cluster DNS, which act
    /// through `networkClients`, else through the agent's `client`).
    static func makeAgent(client: any KubernetesClient, networkClients: NodeNetworkClients? = nil, options: AgentOptions,
                          endpointToken: String, registry: PrometheusCollectorRegistry,
                          logger: Logger) throws -> [any Service] {
        let networkClients = networkClients ?? NodeNetworkClients(proxy: client, dns: client)
        let layout = Layout(dataDirectory: options.dataDirectory)
        for directory in [layout.agent, layout.images, layout.runtime, layout.cniConfig, layout.cniState] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        let (choice, reason) = AgentOptions.resolve(options.runtime)
        let runtime: any ContainerRuntime
        let images: any ImageService
        var nodeNetwork: NodeNetwork?
        var runtimeServices: [any Service] = []
        func makeNodeNetwork() -> (NodeNetwork, CNINetwork) {
            let podRange = PodCIDRSource(options.podCIDR)
            var configuration = NodeNetworkConfiguration(nodeName: options.nodeName, podCIDR: options.podCIDR,
                                                         serviceCIDR: options.serviceCIDR, clusterDNS: options.resolvedClusterDNS)
            configuration.bridge = CNINetwork.defaultBridge
            let node = NodeNetwork(client: client, configuration: configuration, podRange: podRange,
                                      logger: logger.withLabel("kyvern.network"),
                                      dependents: { facts in
                                          try NodeNetworkServices.make(clients: networkClients, facts: facts, options: options,
                                                                       registry: registry, logger: logger)
                                      })
            let network = CNINetwork(podRange: podRange, clusterCIDR: options.clusterCIDR, configDirectory: layout.cniConfig,
                                     stateDirectory: layout.cniState, logger: logger.withLabel("kyvern.cni"))
            return (node, network)
        }
        switch choice {
        case .runc, .auto:
            let store = try ImageStore(root: layout.images, logger: logger.withLabel("kyvern.images"))
            images = store
            let (node, network) = makeNodeNetwork()
            nodeNetwork = node
            runtime = try RuncRuntime(stateDirectory: layout.runtime, layerSource: store, network: network,
                                      runcPath: AgentOptions.findRunc() ?? "runc",
                                      logger: logger.withLabel("kyvern.runtime.runc"))
        case .process:
            let store = try ImageStore(root: layout.images, logger: logger.withLabel("kyvern.images"))
            images = store
            runtime = try ProcessRuntime(stateDirectory: layout.runtime, layerSource: store,
                                         logger: logger.withLabel("kyvern.runtime.process"))
        case .containerd:
            // containerd runs the CNI plugins itself: its CRI plugin's conf_dir must be this node's
            // `<data-dir>/cni/net.d`, where the network configuration is written before each sandbox.
            let connection = try CRIConnection(endpoint: CRIEndpoint(parsing: options.containerRuntimeEndpoint),
                                               logger: logger.withLabel("kyvern.runtime.cri"))
            let (node, network) = makeNodeNetwork()
            nodeNetwork = node
            runtime = CRIRuntime(connection: connection, prepareNetwork: { try await network.prepare() },
                                 logger: logger.withLabel("kyvern.runtime.cri"))
            images = CRIImageService(connection: connection)
            runtimeServices = [connection]
        }
        try NodeRuntimeRecord(runtime: (choice == .auto ? .runc : choice).rawValue,
                              endpoint: choice == .containerd ? options.containerRuntimeEndpoint : nil)
            .write(dataDirectory: options.dataDirectory)
        logger.info("node agent runtime chosen", metadata: [
            "runtime": "\(choice.rawValue)", "reason": "\(reason)", "node": "\(options.nodeName)",
        ])
        let volumes = PodVolumes(client: client, rootDirectory: (layout.agent as NSString).appendingPathComponent("pods"),
                                 logger: logger.withLabel("kyvern.volumes"))
        var agent = NodeAgent(client: client, runtime: runtime, images: images, volumes: volumes,
                              environment: ContainerEnvironment(client: client), nodeName: options.nodeName,
                              dataDirectory: layout.agent, kubeletPort: options.kubeletPort, registry: registry,
                              logger: logger)
        agent.nodeIP = options.nodeIP
        if nodeNetwork != nil { agent.podCIDR = options.podCIDR }
        if nodeNetwork != nil, let clusterDNS = options.resolvedClusterDNS {
            agent.clusterDNS = [clusterDNS]
            agent.clusterDomain = options.clusterDomain
        }
        let identity = try ServingIdentity.selfSigned(nodeName: options.nodeName, addresses: ["127.0.0.1"])
        let endpoint = KubeletServer(
            configuration: KubeletServerConfiguration(port: options.kubeletPort, identity: identity,
                                                      token: endpointToken, nodeName: options.nodeName),
            runtime: runtime, lookup: RuntimeContainerLookup(runtime: runtime),
            logger: logger.withLabel("kyvern.agent.endpoint"))
        return runtimeServices + [agent, endpoint, storageProvisioner(client: client, options: options, layout: layout, registry: registry,
                                                    logger: logger)]
            + (nodeNetwork.map { [$0] } ?? [])
    }

    /// The node's local-path provisioner (and the default StorageClass it serves), in a controller
    /// manager of its own: it acts for this node only, so it needs no leader Lease.
    static func storageProvisioner(client: any KubernetesClient, options: AgentOptions, layout: Layout,
                                   registry: PrometheusCollectorRegistry, logger: Logger) -> any Service {
        var managerOptions = ControllerManagerOptions()
        managerOptions.leaderElect = false
        let definition = ControllerDefinition.volumeProvisioner(
            LocalPathProvisioner(root: layout.storage), nodeName: options.nodeName,
            defaultClass: LocalPathProvisioner.defaultStorageClass)
        return ControllerManager(client: client, options: managerOptions, definitions: [definition], registry: registry,
                                 logger: logger.withLabel("kyvern.storage"))
    }
}

extension KyvernServer {
    /// `kyvern agent` without `--simulate`: joins this machine to a server as a node, with a join
    /// token (`--server URL --token-file F`) or a kubeconfig.
    public static func runAgent(_ options: AgentOptions, server: String?, tokenFile: String?, kubeconfig: String?,
                                metricsBindAddress: String?, ingress: IngressPorts? = IngressPorts()) async throws {
        var logger = Logger(label: "kyvern.agent")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        let configuration: ClientConfiguration
        let endpointToken: String
        try FileManager.default.createDirectory(atPath: options.dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if let kubeconfig {
            configuration = try Kubeconfig.load(path: kubeconfig).configuration(userAgent: agentUserAgent)
            endpointToken = configuration.bearerToken ?? ""
        } else if let server, let tokenFile {
            let token = try JoinToken(parsing: try String(contentsOfFile: tokenFile, encoding: .utf8))
            // The token only bootstraps: the agent then talks to the API as system:node:<name>.
            configuration = try await JoinedAgentIdentity.configuration(
                bootstrap: try await token.bootstrap(server: server, userAgent: agentUserAgent),
                nodeName: options.nodeName, dataDirectory: options.dataDirectory, logger: logger)
            endpointToken = token.text
        } else {
            throw AgentStartError(message: "give --kubeconfig, or --server with --token-file (the server's DATA/node-token)")
        }
        // The Ingress controller acts as its own user, system:kyvern-ingress:<node>, whose
        // certificate the node asks for (with a kubeconfig, as that kubeconfig's user).
        var ingressConfiguration: ClientConfiguration?
        if ingress != nil {
            ingressConfiguration = kubeconfig != nil ? configuration
                : try await JoinedAgentIdentity.ingressConfiguration(node: configuration, nodeName: options.nodeName,
                                                                     dataDirectory: options.dataDirectory, logger: logger)
        }
        let client = try APIClient(configuration: configuration, logger: logger.withLabel("kyvern.agent.client"))
        let registry = PrometheusCollectorRegistry()
        var parts: [any Service]
        var ingressClient: APIClient?
        do {
            // The API server reaches this agent's endpoint with the node join token.
            parts = try AgentRunner.makeAgent(client: client, options: options,
                                              endpointToken: endpointToken, registry: registry,
                                              logger: logger)
            if let ingress, let ingressConfiguration {
                let ingressLogger = logger.withLabel("kyvern.ingress")
                var configured = ingressConfiguration
                configured.userAgent = NodeComponentIdentities.Component.ingress.userAgent
                let made = try APIClient(configuration: configured, logger: ingressLogger.withLabel("kyvern.ingress.client"))
                ingressClient = made
                parts.append(try IngressRunner.make(client: made, agent: options, ports: ingress, registry: registry,
                                                    logger: ingressLogger))
            }
        } catch {
            try? await ingressClient?.shutdown()
            try? await client.shutdown()
            throw error
        }
        do {
            try await StandaloneRunner.run(parts, client: client, metricsBindAddress: metricsBindAddress,
                                           registry: registry, logger: logger)
        } catch {
            try? await ingressClient?.shutdown()
            throw error
        }
        try? await ingressClient?.shutdown()
    }

}

/// Why `kyvern agent` could not start.
public struct AgentStartError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
