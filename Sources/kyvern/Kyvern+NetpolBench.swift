import ArgumentParser
import KyvernServer

extension Kyvern {
    /// The NetworkPolicy controller's benchmark hook; not for people to run.
    struct NetpolBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "netpol-bench", abstract: "Time a full NetworkPolicy sync for a synthetic cluster (prints JSON).",
            shouldDisplay: false)

        @Option var policies = 1000
        @Option var pods = 5000
        @Option(help: "nftables or iptables.") var mode = "nftables"
        @Flag(help: "Print the nft -f (iptables-restore) input instead of timing anything.") var dump = false

        func run() async throws {
            if dump {
                print(try NetworkPolicyRunner.benchmarkText(policies: policies, pods: pods, mode: mode), terminator: "")
                return
            }
            print(try await NetworkPolicyRunner.benchmark(policies: policies, pods: pods, mode: mode))
        }
    }
}
