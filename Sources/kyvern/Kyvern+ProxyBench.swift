import ArgumentParser
import KyvernServer

extension Kyvern {
    /// The service proxy's benchmark hooks (bench/network); not for people to run.
    struct ProxyBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proxy-bench", abstract: "Service proxy benchmark hooks (bench/network).",
            shouldDisplay: false, subcommands: [Rules.self, Apply.self, Remove.self])

        struct Rules: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Time rule generation and iptables-restore for a synthetic cluster (prints JSON).")
            @Option var services = 1000
            @Option var endpoints = 10
            @Flag(help: "Print the full-sync iptables-restore (or nft -f) input instead of timing anything.")
            var dump = false
            @Option(help: "iptables or nftables.") var mode = "iptables"

            func run() async throws {
                if dump {
                    print(try ServiceProxyRunner.benchmarkRestoreText(services: services, endpointsPerService: endpoints, mode: mode),
                          terminator: "")
                    return
                }
                print(try await ServiceProxyRunner.benchmarkRules(services: services, endpointsPerService: endpoints, mode: mode))
            }
        }

        struct Apply: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Program one ClusterIP Service and leave it.")
            @Option var clusterIP: String
            @Option var port: Int
            @Option(name: .customLong("endpoint"), help: "ip:port, repeated; none for a Service without endpoints.")
            var endpoints: [String] = []
            @Option var clusterCIDR = "10.42.0.0/16"
            @Option(help: "iptables or nftables.") var mode = "iptables"

            func run() async throws {
                try await ServiceProxyRunner.applyOne(clusterIP: clusterIP, port: port, endpoints: endpoints,
                                                      clusterCIDR: clusterCIDR, mode: mode)
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove every proxy rule and chain.")
            @Option(help: "iptables or nftables.") var mode = "iptables"

            func run() async throws {
                try await ServiceProxyRunner.removeAll(mode: mode)
            }
        }
    }
}
