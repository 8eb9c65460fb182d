import ArgumentParser
import Foundation
import KyvernServer
import Logging

extension Kyvern {
    /// `kyvern status`: like `minikube status`, with its exit code bits.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the server, this machine's node agent, the API and the kubeconfig are up (exit code: 1 server, 2 agent, 4 API not running).")

        @Option(help: "The server's data directory (its kubeconfig.yaml is used; default /var/lib/kyvern as root, ~/.kyvern otherwise).")
        var dataDir: String?

        @Option(help: "Another kubeconfig to ask with.")
        var kubeconfig: String?

        @Option(help: "The node whose agent to report (default: this machine's host name, as the agent names its node).")
        var nodeName: String?

        func run() async throws {
            var logger = Logger(label: "kyvern.status")
            logger.logLevel = .error
            let status = await ClusterStatus.probe(dataDirectory: dataDir, kubeconfig: kubeconfig, nodeName: nodeName,
                                                   logger: logger)
            print(status.text, terminator: "")
            if status.exitCode != 0 { throw ExitCode(status.exitCode) }
        }
    }

    /// `kyvern kubeconfig`: the admin kubeconfig the server wrote.
    struct KubeconfigCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kubeconfig", abstract: "Print the admin kubeconfig (for KUBECONFIG or ~/.kube/config).")

        @Option(help: "The server's data directory (default /var/lib/kyvern as root, ~/.kyvern otherwise).")
        var dataDir: String?

        func run() throws {
            let data = dataDir ?? ServerOptions.defaultDataDirectory()
            let path = (data as NSString).appendingPathComponent("kubeconfig.yaml")
            guard let text = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("error: no kubeconfig at \(path): start `kyvern server` (with --data-dir \(data)) first\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardOutput.write(text)
        }
    }

    /// `kyvern check`: what this machine lacks for real containers, and how to fix it.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check this machine for what real containers need (root, runc, cgroups, overlayfs, CNI plugins, iptables/nftables, ip_forward).")

        func run() throws {
            let findings = HostCheck().run()
            print(HostCheck.report(findings), terminator: "")
            let code = HostCheck.exitCode(findings)
            if code != 0 { throw ExitCode(code) }
        }
    }
}
