import ArgumentParser
import KyvernServer

extension Kyvern {
    struct Scheduler: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the scheduler alone against an API server.")

        @Option(help: "Kubeconfig file with the API server's address and credentials.")
        var kubeconfig: String

        @Option(help: "KubeSchedulerConfiguration file (profiles, plugins, percentageOfNodesToScore).")
        var config: String?

        @Option(help: "host:port serving /metrics and /healthz over HTTP.")
        var metricsBindAddress: String = "127.0.0.1:10259"

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        func run() async throws {
            try await SchedulerRunner.run(SchedulerOptions(
                kubeconfig: kubeconfig, configFile: config, metricsBindAddress: metricsBindAddress, logLevel: logLevel))
        }
    }
}
