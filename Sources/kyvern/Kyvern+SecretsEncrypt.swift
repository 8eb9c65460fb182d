import ArgumentParser
import Foundation
import KyvernServer
import Logging

extension Kyvern {
    struct SecretsEncrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "secrets-encrypt",
            abstract: "Show or rotate the encryption at rest of a running server's Secrets (--encryption-provider-config).",
            subcommands: [Status.self, Rotate.self])
    }
}

/// How a secrets-encrypt subcommand reaches the running server.
struct SecretsEncryptTarget: ParsableArguments {
    @Option(help: "The server's data directory (its kubeconfig.yaml is used; default /var/lib/kyvern as root, ~/.kyvern otherwise).")
    var dataDir: String?

    @Option(help: "An admin (system:masters) kubeconfig instead of the data directory's.")
    var kubeconfig: String?

    var client: SecretsEncryptClient {
        var logger = Logger(label: "kyvern.secrets-encrypt")
        logger.logLevel = .warning
        return SecretsEncryptClient(dataDirectory: dataDir, kubeconfig: kubeconfig, logger: logger)
    }
}

private func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}

extension Kyvern.SecretsEncrypt {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whether Secrets are encrypted, the key new writes use, and how many Secrets are stored under each key.")

        @OptionGroup var target: SecretsEncryptTarget

        func run() async throws {
            do {
                for line in try await target.client.status() { print(line) }
            } catch {
                throw fail(error)
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a new key first in the server's encryption configuration (older keys kept for reading), then rewrite every Secret under it.")

        @OptionGroup var target: SecretsEncryptTarget

        @Option(help: "Secrets rewritten per request.")
        var batchSize: Int = 100

        func run() async throws {
            do {
                try await target.client.rotate(batchSize: batchSize) { line in print(line) }
            } catch {
                throw fail(error)
            }
        }
    }
}
