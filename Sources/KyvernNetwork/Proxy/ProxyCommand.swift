import Foundation
import Subprocess

/// Runs the tools the proxy drives (`iptables`, `iptables-save`, `iptables-restore`,
/// `conntrack`) with a fixed PATH, returning their output or throwing with their stderr.
package enum ProxyCommand {
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package var command: String
        package var status: String
        package var message: String
        package var description: String { "\(command) failed (\(status)): \(message)" }
    }

    /// `name arguments`, optionally fed `input` on stdin.
    @discardableResult
    package static func run(_ name: String, _ arguments: [String], input: String? = nil) async throws -> String {
        let environment = Environment.inherit.updating(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        let status: TerminationStatus
        let output: String?
        let error: String?
        if let input {
            let result = try await Subprocess.run(.name(name), arguments: Arguments(arguments), environment: environment,
                                                  input: .array(Array(input.utf8)), output: .string(limit: 1 << 26),
                                                  error: .string(limit: 1 << 16))
            (status, output, error) = (result.terminationStatus, result.standardOutput, result.standardError)
        } else {
            let result = try await Subprocess.run(.name(name), arguments: Arguments(arguments), environment: environment,
                                                  output: .string(limit: 1 << 26), error: .string(limit: 1 << 16))
            (status, output, error) = (result.terminationStatus, result.standardOutput, result.standardError)
        }
        guard status.isSuccess else {
            throw Failure(command: ([name] + arguments).joined(separator: " "), status: "\(status)",
                          message: (error ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output ?? ""
    }

    /// `iptables-restore -w --noflush` of `text`, handed over as a file: rule sets of a large
    /// cluster are megabytes, and feeding them through a pipe was the slowest part of a sync.
    package static func restore(_ text: String, namespace: String? = nil) async throws {
        let path = FileManager.default.temporaryDirectory.path + "/kyvern-proxy-\(UUID().uuidString).rules"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let arguments = ["-w", "--noflush", path]
        if let namespace {
            try await run("ip", ["netns", "exec", namespace, "iptables-restore"] + arguments)
        } else {
            try await run("iptables-restore", arguments)
        }
    }

    /// The same as ``run(_:_:input:)`` but through Foundation's `Process`, blocking the caller:
    /// for shutdown, which runs after the task was cancelled, and a cancelled task's
    /// subprocesses are killed before they could remove anything.
    @discardableResult
    package static func runUncancellable(_ name: String, _ arguments: [String]) throws -> String {
        guard let directory = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].first(where: {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
        }) else { throw Failure(command: name, status: "missing", message: "\(name) not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(directory)/\(name)")
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(command: ([name] + arguments).joined(separator: " "), status: "exited(\(process.terminationStatus))",
                          message: String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether `name` is an executable on the proxy's PATH.
    package static func available(_ name: String) -> Bool {
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}
