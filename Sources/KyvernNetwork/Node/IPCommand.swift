import Foundation
import Subprocess

/// Runs iproute2's `ip`, the standard tool the node's bridge and routes are made with.
enum IPCommand {
    @discardableResult
    static func run(_ arguments: [String]) async throws -> String {
        let result = try await Subprocess.run(.name("ip"), arguments: Arguments(arguments),
                                              environment: .inherit.updating(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]),
                                              output: .string(limit: 1 << 22), error: .string(limit: 1 << 16))
        guard result.terminationStatus.isSuccess else {
            throw NodeNetworkError.command("ip " + arguments.joined(separator: " "), result.standardError)
        }
        return result.standardOutput
    }
}

/// Why the node's network could not be set up.
public enum NodeNetworkError: Error, CustomStringConvertible {
    case command(String, String)
    case invalidRange(String)

    public var description: String {
        switch self {
        case .command(let command, let error): "\(command): \(error.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .invalidRange(let text): "not an IPv4 CIDR: \(text)"
        }
    }
}
