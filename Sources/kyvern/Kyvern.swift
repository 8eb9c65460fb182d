import ArgumentParser
import KyvernRuntime
import KyvernServer

@main
struct Kyvern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kyvern",
        abstract: "A Kubernetes-compatible container orchestrator in one binary.",
        subcommands: [Server.self, Scheduler.self, ControllerManager.self, Agent.self, Image.self, DatastoreCommand.self, SecretsEncrypt.self, Dashboard.self, Status.self, KubeconfigCommand.self, Check.self, RuntimeShimCommand.self, ProxyBench.self, NetpolBench.self, Crictl.self, IngressBench.self])

    /// The runtime starts one shim per container start, on the pod's start-up path: it goes
    /// straight to the shim instead of through the parsing of every subcommand's options.
    static func main() async {
        let arguments = CommandLine.arguments
        if arguments.count == 3, arguments[1] == RuntimeShim.subcommand, !arguments[2].hasPrefix("-") {
            RuntimeShim.main(stateDirectory: arguments[2])
        }
        await main(nil)
    }
}
