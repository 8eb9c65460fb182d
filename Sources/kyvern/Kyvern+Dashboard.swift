import ArgumentParser
import Foundation
import KyvernServer
import Logging

extension Kyvern {
    struct Dashboard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the web dashboard's address with a one-time login link (as the kubeconfig's user).")

        @Option(help: "The server's data directory (its kubeconfig.yaml is used; default /var/lib/kyvern as root, ~/.kyvern otherwise).")
        var dataDir: String?

        @Option(help: "A kubeconfig whose user the browser session acts as, instead of the data directory's admin.")
        var kubeconfig: String?

        @Flag(help: "Open the link in the desktop browser (xdg-open), where there is one.")
        var open = false

        func run() async throws {
            var logger = Logger(label: "kyvern.dashboard")
            logger.logLevel = .warning
            let link: DashboardClient.Link
            do {
                link = try await DashboardClient(dataDirectory: dataDir, kubeconfig: kubeconfig, logger: logger).loginLink()
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print("Dashboard: \(link.address)")
            print("One-time login link for \(link.user) (works once, within \(link.expiresInSeconds) s):")
            print("  \(link.loginLink)")
            if open { Self.openBrowser(link.loginLink) }
        }

        static func openBrowser(_ url: String) {
            let candidates = ["/usr/bin/xdg-open", "/usr/local/bin/xdg-open", "/usr/bin/open"]
            guard let opener = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
                  ProcessInfo.processInfo.environment["DISPLAY"] != nil || ProcessInfo.processInfo.environment["WAYLAND_DISPLAY"] != nil
            else {
                print("No desktop browser here; open the link above in a browser that reaches this address.")
                return
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: opener)
            process.arguments = [url]
            try? process.run()
        }
    }
}
