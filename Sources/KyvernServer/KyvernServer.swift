import Foundation
import KyvernClient
import KyvernAPIServer
import KyvernControllers
import KyvernStore
public import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The composition root: which components run, on which backends, in which order.
public enum KyvernServer {
    /// Runs the control plane until SIGINT or SIGTERM, then shuts down in reverse order.
    public static func run(_ options: ServerOptions) async throws {
        let logger = {
            var logger = Logger(label: "kyvern")
            logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
            return logger
        }()
        let dataDirectory = options.dataDirectory
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])

        let pkiDirectory = (dataDirectory as NSString).appendingPathComponent("pki")
        let hostnames = options.tlsSANs.filter { !Self.isIPAddress($0) } + [ProcessInfo.processInfo.hostName]
        let ipAddresses = options.tlsSANs.filter(Self.isIPAddress)
            + (Self.isIPAddress(options.bindAddress) && options.bindAddress != "0.0.0.0" ? [options.bindAddress] : [])
        var clusterSecret = options.token
        var joining: (server: String, caPEM: String)?
        if let server = options.joinServer {
            guard options.datastore.isShared else { throw ServerJoinError.needsSharedDatastore }
            guard let token = options.token else { throw ServerJoinError.needsToken }
            let join = try ServerJoin(parsing: token)
            clusterSecret = join.secret
            joining = (server, try await join.fetchCertificateAuthority(server: server))
            logger.info("joining the cluster of \(server)")
        }
        if let clusterSecret, options.datastore.isShared {
            try await SharedBootstrap.synchronize(
                datastore: options.datastore, token: clusterSecret, dataDirectory: dataDirectory, pkiDirectory: pkiDirectory,
                hostnames: hostnames, ipAddresses: ipAddresses, joining: joining, logger: logger)
        }
        let pki = try ClusterPKI.loadOrCreate(directory: pkiDirectory, hostnames: hostnames,
                                              ipAddresses: ipAddresses, logger: logger)
        if let clusterSecret, options.datastore.isShared {
            try ServerJoin.writeToken(dataDirectory: dataDirectory, caPEM: pki.caCertificatePEM, secret: clusterSecret)
        }
        let serverHost = options.bindAddress == "0.0.0.0" ? "127.0.0.1" : options.bindAddress
        let kubeconfigPath = try KubeconfigWriter.write(dataDirectory: dataDirectory, host: serverHost,
                                                        port: options.httpsPort, pki: pki)

        let (backend, storeService) = try options.datastore.open(logger: logger.withLabel("kyvern.store"))
        let (store, secretsEncryption) = try EncryptionAtRest.wrap(backend, configPath: options.encryptionProviderConfig,
                                                                   logger: logger)
        let registry = PrometheusCollectorRegistry()
        let nodeToken = try NodeTokenFile.loadOrCreate(dataDirectory: dataDirectory, caPEM: pki.caCertificatePEM)
        var configuration = APIServerConfiguration(
            bindAddress: options.bindAddress, port: options.httpsPort, tls: try pki.makeServerTLSConfiguration(verifyClientCertificates: true),
            authenticator: BearerTokenAuthenticator(tokens: [pki.adminToken: .clusterAdmin, nodeToken.text: .nodeBootstrapper]),
            compactionInterval: options.compactionInterval, eventTTL: options.eventTTL)
        configuration.caCertificatePEM = pki.caCertificatePEM
        configuration.authorizationMode = options.authorizationMode
        configuration.anonymousAuth = options.anonymousAuth
        configuration.serviceAccountTokenVolume = options.serviceAccountTokenVolume
        configuration.defaultTolerationSeconds = options.nodeLifecycle.tolerationSeconds
        configuration.nodeAgentToken = nodeToken.text
        configuration.serviceAccountTokenIssuer = ServiceAccountTokenIssuer(
            key: try ServiceAccountSigningKey.loadOrCreate(directory: pkiDirectory, logger: logger))
        configuration.serviceRanges = ServiceRanges(clusterIPs: try ServiceRanges.parseCIDR(options.serviceCIDR))
        configuration.secretsEncryption = secretsEncryption
        configuration.maxRequestsInFlight = options.maxRequestsInFlight
        configuration.maxMutatingRequestsInFlight = options.maxMutatingRequestsInFlight
        configuration.auditLog = try options.audit.open(logger: logger)
        configuration.dashboardPort = options.dashboardPort
        let dashboardHistory = DashboardMount.install(into: &configuration)
        let apiServer = APIServer(configuration: configuration, store: store, registry: registry, logger: logger) {
            logger.info("Kyvern is ready; use: kubectl --kubeconfig \(kubeconfigPath) get ns",
                        metadata: ["kubeconfig": "\(kubeconfigPath)", "address": "https://\(serverHost):\(options.httpsPort)"])
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let storeService {
            services.append(.init(service: storeService, successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        services.append(.init(service: apiServer, successTerminationBehavior: .gracefullyShutdownGroup,
                              failureTerminationBehavior: .gracefullyShutdownGroup))
        // The dashboard's charts: a small ring of metrics API samples, taken as the admin.
        services.append(.init(service: DashboardMetricsSampler(kubeconfig: kubeconfigPath, history: dashboardHistory,
                                                               logger: logger.withLabel("kyvern.dashboard")),
                              successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        // The scheduler reaches the API server like any client, over loopback HTTPS with the
        // admin kubeconfig; it retries until the server is up.
        var schedulerClient: APIClient?
        if !options.disableScheduler {
            let schedulerLogger = logger.withLabel("kyvern.scheduler")
            // The scheduler acts as system:kube-scheduler (upstream's role for it), not as the admin.
            let schedulerKubeconfig = try KubeconfigWriter.writeComponent(
                "scheduler", user: "system:kube-scheduler", dataDirectory: dataDirectory, host: serverHost,
                port: options.httpsPort, pki: pki)
            let (scheduler, client, profiles) = try await SchedulerRunner.makeScheduler(
                kubeconfig: schedulerKubeconfig, configFile: options.schedulerConfig, registry: registry,
                logger: schedulerLogger)
            schedulerClient = client
            // On etcd several servers may share the cluster: each server's scheduler then schedules
            // only while it holds the kube-system/kube-scheduler Lease, as the controller manager does.
            let service = SchedulerRunner.runnable(scheduler, client: client, profiles: profiles,
                                                   leaderElect: options.datastore.isShared, logger: schedulerLogger)
            services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        // The controller manager likewise; it waits for the server and for its leader Lease.
        var controllerManagerClients: [APIClient] = []
        if !options.disableControllerManager {
            var managerOptions = ControllerManagerOptions()
            managerOptions.controllers = options.controllers.split(separator: ",")
                .map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            managerOptions.clusterCIDR = options.clusterCIDR
            options.nodeLifecycle.apply(to: &managerOptions)
            options.autoscaler.apply(to: &managerOptions)
            managerOptions.loadBalancerAddressPool = options.loadBalancerAddressPool
            // Inside the server the controller manager also signs client certificates with the cluster CA.
            let definitions = ControllerCatalog.all + [.certificateSigning(signer: ClusterCASigner(pki: pki))]
            if let unknown = managerOptions.unknownControllers(among: definitions).first {
                throw ControllerManagerStartError(message: "--controllers: \"\(unknown)\" is not in the list of known controllers")
            }
            // The manager acts as system:kube-controller-manager and each controller as its own
            // ServiceAccount, as kubeadm runs upstream's. Without service account credentials the
            // manager's identity would need every controller's role, so it stays the admin then.
            let managerKubeconfig = try options.useServiceAccountCredentials
                ? KubeconfigWriter.writeComponent(
                    "controller-manager", user: "system:kube-controller-manager", dataDirectory: dataDirectory,
                    host: serverHost, port: options.httpsPort, pki: pki)
                : kubeconfigPath
            let (manager, clients) = try ControllerManagerRunner.makeControllerManager(
                kubeconfig: managerKubeconfig, options: managerOptions,
                useServiceAccountCredentials: options.useServiceAccountCredentials, registry: registry,
                logger: logger.withLabel("kyvern.controller-manager"), definitions: definitions)
            controllerManagerClients = clients
            services.append(.init(service: manager, successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        // The node agent of the server's own machine, also a plain client of the API. It, its proxy
        // and the cluster DNS act as their own users (system:node:<name>, system:kube-proxy,
        // system:coredns), with certificates issued at every start, not as the admin.
        let nodeIdentities = try NodeComponentIdentities.write(
            nodeName: options.agent.nodeName, dataDirectory: dataDirectory, host: serverHost, port: options.httpsPort, pki: pki)
        var agentClients: [APIClient] = []
        if !options.disableAgent {
            let agentLogger = logger.withLabel("kyvern.agent")
            let client = try nodeIdentities.client(.agent, logger: agentLogger.withLabel("kyvern.agent.client"))
            let proxyClient = try nodeIdentities.client(.proxy, logger: agentLogger.withLabel("kyvern.proxy.client"))
            let dnsClient = try nodeIdentities.client(.dns, logger: agentLogger.withLabel("kyvern.dns.client"))
            agentClients = [client, proxyClient, dnsClient]
            let network = NodeNetworkClients(proxy: proxyClient, dns: dnsClient)
            let parts = try AgentRunner.makeAgent(client: client, networkClients: network, options: options.agent,
                                                  endpointToken: nodeToken.text, registry: registry,
                                                  logger: agentLogger)
            for service in parts {
                services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                                      failureTerminationBehavior: .gracefullyShutdownGroup))
            }
        }
        // The built-in Ingress controller, a node component beside the agent (`--disable ingress`).
        if !options.disableAgent && !options.disableIngress {
            let ingressLogger = logger.withLabel("kyvern.ingress")
            let client = try nodeIdentities.client(.ingress, logger: ingressLogger.withLabel("kyvern.ingress.client"))
            agentClients.append(client)
            services.append(.init(service: try IngressRunner.make(client: client, options: options, pki: pki,
                                                                  registry: registry, logger: ingressLogger),
                                  successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        // Cluster DNS on a chosen address (tests); in a cluster the node agent runs it on its bridge.
        var dnsClient: APIClient?
        if let listen = options.clusterDNSListen {
            let (host, port) = try ClusterDNSRunner.parseListen(listen)
            let dnsLogger = logger.withLabel("kyvern.dns")
            let client = try nodeIdentities.client(.dns, logger: dnsLogger.withLabel("kyvern.dns.client"))
            dnsClient = client
            let dns = try ClusterDNSRunner.makeServer(client: client, listenAddresses: [host], port: port,
                                                      upstreams: options.clusterDNSUpstreams, registry: registry,
                                                      logger: dnsLogger)
            services.append(.init(service: dns, successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            try? await schedulerClient?.shutdown()
            for client in controllerManagerClients { try? await client.shutdown() }
            for client in agentClients { try? await client.shutdown() }
            try? await dnsClient?.shutdown()
            try? await store.close()
            throw error
        }
        try? await schedulerClient?.shutdown()
        for client in controllerManagerClients { try? await client.shutdown() }
        for client in agentClients { try? await client.shutdown() }
        try? await dnsClient?.shutdown()
        try await store.close()
        logger.info("Kyvern stopped")
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

extension Logger {
    func withLabel(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

/// The cluster CA, signing the csrsigning controller's certificates.
struct ClusterCASigner: CertificateSigner {
    let pki: ClusterPKI

    func signClientCertificate(requestPEM: String, validity: Double) throws -> String {
        try pki.signClientCertificate(requestPEM: requestPEM, validity: validity)
    }
}
