import ArgumentParser
import KyvernRuntime

extension Kyvern {
    /// The per-container monitor the runtimes start; not for people to run.
    struct RuntimeShimCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runtime-shim", abstract: "Monitor one container (started by the node agent's runtime).",
            shouldDisplay: false)

        @Argument(help: "The container's state directory.")
        var stateDirectory: String

        func run() throws {
            RuntimeShim.main(stateDirectory: stateDirectory)
        }
    }
}
