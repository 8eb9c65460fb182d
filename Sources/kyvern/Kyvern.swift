import ArgumentParser
import KyvernServer

@main
struct Kyvern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kyvern",
        abstract: "A Kubernetes-compatible container orchestrator in one binary.",
        subcommands: [Server.self, Agent.self])
}

extension Kyvern {
    struct Server: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a single-node control plane: API server on an embedded store.")

        @Option(help: "Where state, certificates and the kubeconfig live (default /var/lib/kyvern as root, ~/.kyvern otherwise).")
        var dataDir: String?

        @Option(help: "Address the API server listens on.")
        var bindAddress: String = "127.0.0.1"

        @Option(name: .customLong("https-listen-port"), help: "HTTPS port of the API server.")
        var httpsListenPort: Int = 6443

        @Option(name: .customLong("tls-san"), help: "Extra host name or IP for the serving certificate (repeatable).")
        var tlsSAN: [String] = []

        @Option(help: "How often store history is compacted, e.g. 5m, 30s.")
        var compactionInterval: String = "5m"

        @Option(help: "How long events are kept after their last write, e.g. 1h, 30m.")
        var eventTTL: String = "1h"

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        @Option(name: .customLong("service-cidr"), help: "IPv4 range Service cluster IPs are allocated from.")
        var serviceCIDR: String = "10.43.0.0/16"

        func validate() throws {
            guard ServerOptions.parseDuration(compactionInterval) != nil else {
                throw ValidationError("--compaction-interval: not a duration: \(compactionInterval)")
            }
            do {
                try ServerOptions.validateServiceCIDR(serviceCIDR)
            } catch {
                throw ValidationError("\(error)")
            }
            guard ServerOptions.parseDuration(eventTTL) != nil else {
                throw ValidationError("--event-ttl: not a duration: \(eventTTL)")
            }
            guard (1...65535).contains(httpsListenPort) else {
                throw ValidationError("--https-listen-port must be between 1 and 65535")
            }
        }

        func run() async throws {
            var options = ServerOptions(
                dataDirectory: dataDir, bindAddress: bindAddress, httpsPort: httpsListenPort, tlsSANs: tlsSAN,
                compactionInterval: ServerOptions.parseDuration(compactionInterval)!, logLevel: logLevel)
            options.serviceCIDR = serviceCIDR
            options.eventTTL = ServerOptions.parseDuration(eventTTL)!
            try await KyvernServer.run(options)
        }
    }
}

extension Kyvern {
    struct Agent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a node agent; for now only simulated nodes (--simulate N).",
            discussion: """
                The real node agent (containers through a runtime) is not built yet; use --simulate N.

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

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        func options() throws -> SimulatedAgentOptions {
            guard let simulate else {
                throw ValidationError("the real node agent is not built yet; use --simulate N")
            }
            do {
                return try SimulatedAgentOptions.parse(
                    kubeconfig: kubeconfig, logLevel: logLevel, simulate: simulate, namePrefix: nodeNamePrefix,
                    cpu: cpu, memory: memory, maxPods: maxPods, ephemeralStorage: ephemeralStorage,
                    nodeLabels: nodeLabels, registerWithTaints: registerWithTaints, zones: zones,
                    leaseRenewInterval: leaseRenewInterval, nodeStatusUpdateFrequency: nodeStatusUpdateFrequency)
            } catch {
                throw ValidationError("\(error)")
            }
        }

        func validate() throws {
            _ = try options()
        }

        func run() async throws {
            try await KyvernServer.runSimulatedAgent(try options())
        }
    }
}
