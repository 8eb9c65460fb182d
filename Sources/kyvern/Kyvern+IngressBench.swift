import ArgumentParser
import KyvernServer

extension Kyvern {
    /// The Ingress proxy's benchmark hook (bench/network/ingress.py); not for people to run.
    struct IngressBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingress-bench", abstract: "Serve the Ingress proxy with one fixed route (bench/network).",
            shouldDisplay: false)
        @Option var port: Int
        @Option(name: .customLong("endpoint"), help: "ip:port, repeated.") var endpoints: [String]

        func run() async throws {
            try await IngressRunner.benchmarkServe(port: port, endpoints: endpoints)
        }
    }
}
