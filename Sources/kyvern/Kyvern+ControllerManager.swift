import ArgumentParser
import KyvernServer

extension Kyvern {
    struct ControllerManager: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "controller-manager",
            abstract: "Run the controllers (ReplicaSet, Deployment, …) alone against an API server.")

        @Option(help: "Kubeconfig file with the API server's address and credentials.")
        var kubeconfig: String

        @Flag(inversion: .prefixedNo,
              help: "Run controllers only while holding the kube-system/kube-controller-manager Lease.")
        var leaderElect = true

        @Option(help: "Controllers to run, comma-separated: '*' for all on by default, 'name' to enable, '-name' to disable.")
        var controllers: String = "*"

        @Option(help: "Run each controller as its own ServiceAccount kube-system/<name>, with a token from the TokenRequest API (the kubeconfig's user then needs only system:kube-controller-manager).")
        var useServiceAccountCredentials: Bool = false

        @Option(help: "ReplicaSets synced concurrently.")
        var concurrentReplicasetSyncs: Int = 5

        @Option(help: "Deployments synced concurrently.")
        var concurrentDeploymentSyncs: Int = 5

        @Option(help: "DaemonSets synced concurrently.")
        var concurrentDaemonsetSyncs: Int = 2

        @Option(name: .customLong("cluster-cidr"), help: "IPv4 range node pod ranges (a /24 each) are allocated from.")
        var clusterCIDR: String = "10.42.0.0/16"

        @OptionGroup(title: "Node lifecycle")
        var nodeLifecycle: NodeLifecycleFlags

        @OptionGroup(title: "Horizontal pod autoscaler")
        var autoscaler: AutoscalerFlags

        @OptionGroup(title: "Service load balancer")
        var loadBalancer: LoadBalancerFlags

        @Option(help: "host:port serving /metrics and /healthz over HTTP.")
        var metricsBindAddress: String = "127.0.0.1:10257"

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        var options: ControllerManagerProcessOptions {
            var options = ControllerManagerProcessOptions(
                kubeconfig: kubeconfig, controllers: controllers, leaderElect: leaderElect,
                concurrentSyncs: ["replicaset": concurrentReplicasetSyncs, "deployment": concurrentDeploymentSyncs,
                                 "daemonset": concurrentDaemonsetSyncs],
                metricsBindAddress: metricsBindAddress, logLevel: logLevel)
            options.clusterCIDR = clusterCIDR
            options.useServiceAccountCredentials = useServiceAccountCredentials
            options.nodeLifecycle = nodeLifecycle.settings
            options.autoscaler = autoscaler.settings
            options.loadBalancerAddressPool = loadBalancer.pool
            return options
        }

        func validate() throws {
            do {
                try options.validate()
            } catch {
                throw ValidationError("\(error)")
            }
        }

        func run() async throws {
            try await ControllerManagerRunner.run(options)
        }
    }
}
