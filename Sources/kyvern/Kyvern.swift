import ArgumentParser
import KyvernServer

@main
struct Kyvern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kyvern",
        abstract: "A Kubernetes-compatible container orchestrator in one binary.",
        subcommands: [Server.self, Scheduler.self, ControllerManager.self, Agent.self, RuntimeShimCommand.self])
}
