import ArgumentParser
import Foundation
import KyvernRuntime
import KyvernRuntimeCRI
import Logging
import KyvernServer

/// `kyvern crictl`: a look under the hood of the node's runtime (built-in or CRI), shaped like crictl.
struct Crictl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crictl",
        abstract: "Inspect the node's runtime (built-in runc or containerd): pods, ps, images, inspect, logs, exec.",
        subcommands: [Pods.self, Ps.self, Images.self, Inspect.self, Logs.self, Exec.self])

    /// Which runtime to look at: `-r` names a CRI socket; otherwise the one the node agent of
    /// `--data-dir` recorded (its built-in runc runtime, or containerd's socket); otherwise containerd's
    /// default socket.
    struct Endpoint: ParsableArguments {
        @Option(name: [.customShort("r"), .customLong("runtime-endpoint")], help: "A CRI runtime's socket (default: the node's runtime).")
        var runtimeEndpoint: String?
        @Option(help: "The node agent's data directory, where it records its runtime (default /var/lib/kyvern as root, ~/.kyvern otherwise).")
        var dataDir: String?

        static let defaultEndpoint = "unix:///run/containerd/containerd.sock"

        func run<Result: Sendable>(_ body: @escaping @Sendable (any ContainerRuntime, any ImageService) async throws -> Result) async throws -> Result {
            var logger = Logger(label: "kyvern.crictl")
            logger.logLevel = .error
            let dataDirectory = dataDir ?? ServerOptions.defaultDataDirectory()
            var socket = runtimeEndpoint
            if socket == nil, let record = NodeRuntimeRecord.read(dataDirectory: dataDirectory) {
                if let endpoint = record.endpoint {
                    socket = endpoint
                } else {
                    let (runtime, images) = try record.openBuiltIn(dataDirectory: dataDirectory, logger: logger)
                    return try await body(runtime, images)
                }
            }
            let endpoint: CRIEndpoint
            do { endpoint = try CRIEndpoint(parsing: socket ?? Self.defaultEndpoint) } catch { throw ValidationError("\(error)") }
            return try await CRICtlSession.with(endpoint: endpoint, logger: logger) { runtime, images in
                try await body(runtime, images)
            }
        }
    }

    struct Pods: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pod sandboxes.")
        @OptionGroup var endpoint: Endpoint
        func run() async throws {
            let sandboxes = try await endpoint.run { runtime, _ in try await runtime.listPodSandboxes() }
            print(CRICtlTables.pods(sandboxes, now: Date()), terminator: "")
        }
    }

    struct Ps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List running containers (all with -a).")
        @OptionGroup var endpoint: Endpoint
        @Flag(name: .shortAndLong, help: "Show all containers, not only running ones.") var all = false
        func run() async throws {
            let all = all
            let (containers, sandboxes) = try await endpoint.run { runtime, _ in
                (try await runtime.listContainers(ContainerFilter(state: all ? nil : .running)), try await runtime.listPodSandboxes())
            }
            print(CRICtlTables.containers(containers, sandboxes: sandboxes, now: Date()), terminator: "")
        }
    }

    struct Images: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List images.")
        @OptionGroup var endpoint: Endpoint
        func run() async throws {
            let images = try await endpoint.run { _, images in try await images.listImages() }
            print(CRICtlTables.images(images), terminator: "")
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one container's status as JSON.")
        @OptionGroup var endpoint: Endpoint
        @Argument(help: "Container id (or a unique prefix).") var id: String
        func run() async throws {
            let id = id
            let status = try await endpoint.run { runtime, _ in try await Crictl.container(runtime, prefix: id) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a container's log.")
        @OptionGroup var endpoint: Endpoint
        @Argument(help: "Container id (or a unique prefix).") var id: String
        func run() async throws {
            let id = id
            let status = try await endpoint.run { runtime, _ in try await Crictl.container(runtime, prefix: id) }
            let text = (try? String(contentsOfFile: status.logPath, encoding: .utf8)) ?? ""
            print(CRICtlTables.logMessages(text), terminator: "")
        }
    }

    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a command in a running container (no stdin).")
        @OptionGroup var endpoint: Endpoint
        @Argument(help: "Container id (or a unique prefix).") var id: String
        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String]
        func run() async throws {
            let (id, command) = (id, command.first == "--" ? Array(command.dropFirst()) : command)
            let result = try await endpoint.run { runtime, _ in
                let status = try await Crictl.container(runtime, prefix: id)
                return try await runtime.execSync(id: status.id, command: command, timeout: .zero)
            }
            FileHandle.standardOutput.write(Data(result.stdout))
            FileHandle.standardError.write(Data(result.stderr))
            if result.exitCode != 0 { throw ExitCode(result.exitCode) }
        }
    }

    /// The one container whose id starts with `prefix`, as crictl resolves short ids.
    static func container(_ runtime: any ContainerRuntime, prefix: String) async throws -> ContainerStatus {
        let matches = try await runtime.listContainers(ContainerFilter()).filter { $0.id.hasPrefix(prefix) }
        guard matches.count == 1, let match = matches.first else {
            throw ValidationError(matches.isEmpty ? "no container with id \(prefix)" : "container id \(prefix) is ambiguous")
        }
        return match
    }
}
