import ArgumentParser
import KyvernServer

extension Kyvern {
    struct Agent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join this machine to a server as a node, or simulate N nodes (--simulate N).",
            discussion: """
                Without --simulate, runs the node agent: registers this machine as a Node and runs the \
                pods bound to it as containers (runc, or plain processes with --runtime process). It \
                joins with --server https://HOST:PORT --token-file F, where F holds the server's \
                DATA/node-token, or with --kubeconfig F. With a token the agent asks for a client \
                certificate for system:node:<node name> (kubelet TLS bootstrap), keeps it in \
                <data-dir>/pki/kubelet-client.{key,crt} and from then on acts as that node.

                The agent also runs the built-in Ingress controller on ports 80 and 443 of the node \
                (--ingress-http-port, --ingress-https-port, --disable ingress), acting as \
                system:kyvern-ingress:<node name>, whose certificate the node asks for the same way \
                (kept as <data-dir>/pki/ingress-client.{key,crt}).

                With --simulate N, one process registers N nodes named <prefix>-0 ... <prefix>-(N-1) and \
                behaves like N kubelets as the API sees them: the nodes are Ready, their Leases in \
                kube-node-lease are renewed, pods bound to them are reported Running (no container is \
                started) and their deletions are completed. For exercising schedulers and controllers \
                at scale. The nodes stay registered when the agent stops.
                """)

        @Option(help: "Register N simulated nodes instead of running a real node agent.")
        var simulate: Int?

        @Option(help: "Kubeconfig of the server to join.")
        var kubeconfig: String?

        @Option(help: "URL of the server to join, with --token-file.")
        var server: String?

        @Option(help: "File holding the server's join token (its DATA/node-token).")
        var tokenFile: String?

        @Option(help: "Where the agent keeps images, containers and volumes (default /var/lib/kyvern-agent as root, ~/.kyvern-agent otherwise).")
        var dataDir: String?

        @OptionGroup(title: "Node agent")
        var agent: AgentFlags

        @Option(help: "Built-in components not to run on this node (repeatable or comma separated): ingress.")
        var disable: [String] = []

        @Option(name: .customLong("ingress-http-port"), help: "Port of the built-in Ingress controller's HTTP listener.")
        var ingressHTTPPort: Int = 80

        @Option(name: .customLong("ingress-https-port"), help: "Port of the built-in Ingress controller's HTTPS listener.")
        var ingressHTTPSPort: Int = 443

        /// `--disable`'s components, each flag's value split at commas.
        var disabledComponents: [String] {
            disable.flatMap { $0.split(separator: ",").map { String($0.filter { !$0.isWhitespace }).lowercased() } }
        }

        @Option(name: .customLong("service-cidr"), help: "The server's Service range (routed to the pod bridge; its 10th address is the default cluster DNS).")
        var serviceCIDR: String = "10.43.0.0/16"

        @Option(name: .customLong("cluster-cidr"), help: "The cluster's pod range (the Service proxy masquerades traffic from outside it).")
        var clusterCIDR: String = "10.42.0.0/16"

        @Option(help: "Simulated node names are <prefix>-<i>.")
        var nodeNamePrefix: String = "sim"

        @Option(help: "CPU capacity of each simulated node.")
        var cpu: String = "4"

        @Option(help: "Memory capacity of each simulated node.")
        var memory: String = "16Gi"

        @Option(help: "Pod capacity of each simulated node (at most 253).")
        var maxPods: Int = 110

        @Option(help: "Ephemeral-storage capacity of each simulated node.")
        var ephemeralStorage: String = "100Gi"

        @Option(help: "Extra node labels: key=value,key2=value2.")
        var nodeLabels: String?

        @Option(help: "Taints to register the nodes with: key=value:Effect,key2:Effect.")
        var registerWithTaints: String?

        @Option(help: "Spread the nodes over Z zones (topology.kubernetes.io/zone=zone-0 ...); 0 for no zone label.")
        var zones: Int = 0

        @Option(help: "How often each node's Lease is renewed, e.g. 10s.")
        var leaseRenewInterval: String = "10s"

        @Option(help: "How often each node's status heartbeat is refreshed, e.g. 5m.")
        var nodeStatusUpdateFrequency: String = "5m"

        @Option(help: "host:port serving the simulated nodes' /metrics and /healthz over HTTP; not served when unset.")
        var metricsBindAddress: String?

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        func options() throws -> SimulatedAgentOptions? {
            guard let simulate else {
                if kubeconfig == nil && (server == nil || tokenFile == nil) {
                    throw ValidationError("give --kubeconfig, or --server with --token-file (the server's DATA/node-token)")
                }
                return nil
            }
            do {
                return try SimulatedAgentOptions.parse(
                    kubeconfig: kubeconfig, logLevel: logLevel, simulate: simulate, namePrefix: nodeNamePrefix,
                    cpu: cpu, memory: memory, maxPods: maxPods, ephemeralStorage: ephemeralStorage,
                    nodeLabels: nodeLabels, registerWithTaints: registerWithTaints, zones: zones,
                    leaseRenewInterval: leaseRenewInterval, nodeStatusUpdateFrequency: nodeStatusUpdateFrequency,
                    metricsBindAddress: metricsBindAddress)
            } catch {
                throw ValidationError("\(error)")
            }
        }

        func validate() throws {
            _ = try options()
            guard AgentOptions.isIPv4CIDR(serviceCIDR) else { throw ValidationError("--service-cidr: not an IPv4 CIDR: \(serviceCIDR)") }
            guard AgentOptions.isIPv4CIDR(clusterCIDR) else { throw ValidationError("--cluster-cidr: not an IPv4 CIDR: \(clusterCIDR)") }
            for component in disabledComponents where !["ingress"].contains(component) {
                throw ValidationError("--disable: unknown component \"\(component)\" (ingress)")
            }
            guard (0...65535).contains(ingressHTTPPort), (0...65535).contains(ingressHTTPSPort) else {
                throw ValidationError("--ingress-http-port and --ingress-https-port must be between 0 and 65535")
            }
        }

        func run() async throws {
            if let simulated = try options() {
                try await KyvernServer.runSimulatedAgent(simulated)
                return
            }
            let directory = dataDir ?? ServerOptions.defaultDataDirectory() + "-agent"
            var options = agent.options(dataDirectory: directory, logLevel: logLevel)
            options.serviceCIDR = serviceCIDR
            options.clusterCIDR = clusterCIDR
            try await KyvernServer.runAgent(options,
                                            server: server, tokenFile: tokenFile, kubeconfig: kubeconfig,
                                            metricsBindAddress: metricsBindAddress,
                                            ingress: disabledComponents.contains("ingress")
                                                ? nil : IngressPorts(http: ingressHTTPPort, https: ingressHTTPSPort))
        }
    }
}
