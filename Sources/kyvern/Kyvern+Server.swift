import ArgumentParser
import KyvernServer

extension Kyvern {
    struct Server: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a single-node cluster: API server on an embedded store, scheduler, controllers and a node agent.")

        @Option(help: "Where state, certificates and the kubeconfig live (default /var/lib/kyvern as root, ~/.kyvern otherwise).")
        var dataDir: String?

        @Option(help: "Address the API server listens on.")
        var bindAddress: String = "127.0.0.1"

        @Option(name: .customLong("https-listen-port"), help: "HTTPS port of the API server.")
        var httpsListenPort: Int = 6443

        @Option(name: .customLong("dashboard-port"), help: "Also serve the web dashboard on its own HTTPS port (same certificate; the API is served there too, so the page stays same-origin).")
        var dashboardPort: Int?

        @Option(name: .customLong("tls-san"), help: "Extra host name or IP for the serving certificate (repeatable).")
        var tlsSAN: [String] = []

        @Option(help: "Where the state lives: etcd members (https://h1:2379,https://h2:2379, or http://) or sqlite:///path (default: state.db in the data directory).")
        var datastoreEndpoint: String?

        @Option(help: "CA certificate (PEM) that signed the etcd members' certificates.")
        var datastoreCafile: String?

        @Option(help: "Client certificate (PEM) for etcd.")
        var datastoreCertfile: String?

        @Option(help: "Client key (PEM) for etcd.")
        var datastoreKeyfile: String?

        @Option(help: "Cluster secret: servers on one etcd started with the same token share the CA, admin token and node token.")
        var token: String?

        @Option(help: "URL of a server to join (https://HOST:PORT), with --token set to its DATA/server-token and --datastore-endpoint set to its etcd.")
        var server: String?

        @Option(help: "How often store history is compacted, e.g. 5m, 30s.")
        var compactionInterval: String = "5m"

        @Option(help: "How long events are kept after their last write, e.g. 1h, 30m.")
        var eventTTL: String = "1h"

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        @Option(help: "How requests are authorized, modes in order: Node,RBAC (default), RBAC or AlwaysAllow.")
        var authorizationMode: String = "Node,RBAC"

        @Option(help: "Whether a request without credentials is served as system:anonymous (true) or refused with 401.")
        var anonymousAuth: Bool = true

        @Option(help: "Whether the ServiceAccount admission step mounts the kube-api-access token volume into new pods.")
        var serviceAccountTokenVolume: Bool = true

        @Option(name: .customLong("service-cidr"), help: "IPv4 range Service cluster IPs are allocated from.")
        var serviceCIDR: String = "10.43.0.0/16"

        @Option(name: .customLong("cluster-cidr"), help: "IPv4 range node pod ranges (a /24 each) are allocated from.")
        var clusterCIDR: String = "10.42.0.0/16"

        @Option(help: "EncryptionConfiguration file (apiserver.config.k8s.io/v1, YAML or JSON): which resources are encrypted at rest, with which providers and keys.")
        var encryptionProviderConfig: String?

        @Option(name: .customLong("max-requests-inflight"), help: "Non-mutating requests served at once; beyond, 429 (0: no limit). Watches and other long-running requests are not counted.")
        var maxRequestsInflight: Int = 400

        @Option(name: .customLong("max-mutating-requests-inflight"), help: "Mutating requests served at once; beyond, 429 (0: no limit).")
        var maxMutatingRequestsInflight: Int = 200

        @Option(name: .customLong("audit-policy-file"), help: "Audit policy (audit.k8s.io/v1 Policy, YAML or JSON): which requests are logged, at which level. Needs --audit-log-path.")
        var auditPolicyFile: String?

        @Option(name: .customLong("audit-log-path"), help: "File audit events are appended to as JSON lines ('-': standard output).")
        var auditLogPath: String?

        @Option(name: .customLong("audit-log-maxsize"), help: "Megabytes the audit log grows to before it is rotated.")
        var auditLogMaxsize: Int = 100

        @Option(name: .customLong("audit-log-maxbackup"), help: "Rotated audit log files kept (0: all).")
        var auditLogMaxbackup: Int = 0

        @Option(name: .customLong("audit-log-maxage"), help: "Days rotated audit log files are kept (0: no limit).")
        var auditLogMaxage: Int = 0

        @Flag(help: "Run without the built-in scheduler.")
        var disableScheduler = false

        @Option(help: "KubeSchedulerConfiguration file for the built-in scheduler.")
        var schedulerConfig: String?

        @Flag(help: "Run without the built-in controller manager (ReplicaSet, Deployment, … controllers).")
        var disableControllerManager = false

        @Option(help: "Controllers the built-in controller manager runs: * for all, name to add one, -name to leave one out (comma separated).")
        var controllers: String = "*"

        @Option(help: "Run each controller as its own ServiceAccount kube-system/<name> with role system:controller:<name> (false: the built-in controller manager acts as the admin).")
        var useServiceAccountCredentials: Bool = true

        @Flag(help: "Run without the built-in node agent (no node, no containers on this machine).")
        var disableAgent = false

        @Option(help: "Built-in components not to run (repeatable or comma separated): ingress.")
        var disable: [String] = []

        @Option(name: .customLong("ingress-http-port"), help: "Port of the built-in Ingress controller's HTTP listener.")
        var ingressHTTPPort: Int = 80

        @Option(name: .customLong("ingress-https-port"), help: "Port of the built-in Ingress controller's HTTPS listener.")
        var ingressHTTPSPort: Int = 443

        @Option(name: .customLong("cluster-dns-listen"), help: .hidden)
        var clusterDNSListen: String?

        @Option(name: .customLong("cluster-dns-upstream"), help: .hidden)
        var clusterDNSUpstream: [String] = []

        @OptionGroup(title: "Node agent")
        var agent: AgentFlags

        @OptionGroup(title: "Node lifecycle")
        var nodeLifecycle: NodeLifecycleFlags

        @OptionGroup(title: "Horizontal pod autoscaler")
        var autoscaler: AutoscalerFlags

        @OptionGroup(title: "Service load balancer")
        var loadBalancer: LoadBalancerFlags

        /// `--disable`'s components, each flag's value split at commas.
        var disabledComponents: [String] {
            disable.flatMap { $0.split(separator: ",").map { String($0.filter { !$0.isWhitespace }).lowercased() } }
        }

        func validate() throws {
            guard ServerOptions.parseDuration(compactionInterval) != nil else {
                throw ValidationError("--compaction-interval: not a duration: \(compactionInterval)")
            }
            do {
                try ServerOptions.validateServiceCIDR(serviceCIDR)
                try ServerOptions.validateClusterCIDR(clusterCIDR)
            } catch {
                throw ValidationError("\(error)")
            }
            guard ServerOptions.parseDuration(eventTTL) != nil else {
                throw ValidationError("--event-ttl: not a duration: \(eventTTL)")
            }
            do {
                _ = try Datastore.parse(endpoint: datastoreEndpoint, dataDirectory: "/", caFile: datastoreCafile,
                                        certFile: datastoreCertfile, keyFile: datastoreKeyfile)
            } catch {
                throw ValidationError("--datastore-endpoint: \(error)")
            }
            guard ServerOptions.parseAuthorizationMode(authorizationMode) != nil else {
                throw ValidationError("--authorization-mode: unknown or repeated mode in \"\(authorizationMode)\" (Node, RBAC or AlwaysAllow)")
            }
            guard maxRequestsInflight >= 0, maxMutatingRequestsInflight >= 0 else {
                throw ValidationError("--max-requests-inflight and --max-mutating-requests-inflight must not be negative")
            }
            guard auditLogMaxsize >= 0, auditLogMaxbackup >= 0, auditLogMaxage >= 0 else {
                throw ValidationError("--audit-log-maxsize, --audit-log-maxbackup and --audit-log-maxage must not be negative")
            }
            if server != nil && token == nil {
                throw ValidationError("--server needs --token: the first server's DATA/server-token (or its --token)")
            }
            for component in disabledComponents where !["ingress"].contains(component) {
                throw ValidationError("--disable: unknown component \"\(component)\" (ingress)")
            }
            guard (0...65535).contains(ingressHTTPPort), (0...65535).contains(ingressHTTPSPort) else {
                throw ValidationError("--ingress-http-port and --ingress-https-port must be between 0 and 65535")
            }
            guard (1...65535).contains(httpsListenPort) else {
                throw ValidationError("--https-listen-port must be between 1 and 65535")
            }
            if let dashboardPort {
                guard (1...65535).contains(dashboardPort) else {
                    throw ValidationError("--dashboard-port must be between 1 and 65535")
                }
                guard dashboardPort != httpsListenPort else {
                    throw ValidationError("--dashboard-port must differ from --https-listen-port (the dashboard is already at /dashboard/ there)")
                }
            }
        }

        func run() async throws {
            var options = ServerOptions(
                dataDirectory: dataDir, bindAddress: bindAddress, httpsPort: httpsListenPort, tlsSANs: tlsSAN,
                compactionInterval: ServerOptions.parseDuration(compactionInterval)!, logLevel: logLevel)
            options.dashboardPort = dashboardPort
            options.serviceCIDR = serviceCIDR
            options.clusterCIDR = clusterCIDR
            options.datastore = try Datastore.parse(
                endpoint: datastoreEndpoint, dataDirectory: options.dataDirectory, caFile: datastoreCafile,
                certFile: datastoreCertfile, keyFile: datastoreKeyfile)
            options.token = token
            options.joinServer = server
            options.encryptionProviderConfig = encryptionProviderConfig
            options.maxRequestsInFlight = maxRequestsInflight
            options.maxMutatingRequestsInFlight = maxMutatingRequestsInflight
            options.audit = AuditOptions(policyFile: auditPolicyFile, logPath: auditLogPath, maxSizeMB: auditLogMaxsize,
                                         maxBackups: auditLogMaxbackup, maxAgeDays: auditLogMaxage)
            options.eventTTL = ServerOptions.parseDuration(eventTTL)!
            options.authorizationMode = ServerOptions.parseAuthorizationMode(authorizationMode)!
            options.anonymousAuth = anonymousAuth
            options.serviceAccountTokenVolume = serviceAccountTokenVolume
            options.disableScheduler = disableScheduler
            options.schedulerConfig = schedulerConfig
            options.disableControllerManager = disableControllerManager
            options.controllers = controllers
            options.useServiceAccountCredentials = useServiceAccountCredentials
            options.disableAgent = disableAgent
            options.disableIngress = disabledComponents.contains("ingress")
            options.ingressHTTPPort = ingressHTTPPort
            options.ingressHTTPSPort = ingressHTTPSPort
            options.clusterDNSListen = clusterDNSListen
            options.clusterDNSUpstreams = clusterDNSUpstream.isEmpty ? nil : clusterDNSUpstream
            options.agent = agent.options(dataDirectory: options.dataDirectory, logLevel: logLevel)
            options.agent.serviceCIDR = serviceCIDR
            options.agent.clusterCIDR = clusterCIDR
            options.nodeLifecycle = nodeLifecycle.settings
            options.autoscaler = autoscaler.settings
            options.loadBalancerAddressPool = loadBalancer.pool
            try await KyvernServer.run(options)
        }
    }
}
