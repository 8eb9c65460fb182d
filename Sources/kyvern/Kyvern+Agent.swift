import ArgumentParser
import KyvernServer

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

        @Option(help: "host:port serving the simulated nodes' /metrics and /healthz over HTTP; not served when unset.")
        var metricsBindAddress: String?

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
                    leaseRenewInterval: leaseRenewInterval, nodeStatusUpdateFrequency: nodeStatusUpdateFrequency,
                    metricsBindAddress: metricsBindAddress)
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
