import Foundation

/// The WebSocket channel protocols of `kubectl exec` and `attach` (`v5.channel.k8s.io` down to
/// `channel.k8s.io`): every binary message starts with one byte naming its stream.
package enum ChannelProtocol: String, Sendable, CaseIterable {
    case v5 = "v5.channel.k8s.io"
    case v4 = "v4.channel.k8s.io"
    case v3 = "v3.channel.k8s.io"
    case v2 = "v2.channel.k8s.io"
    case v1 = "channel.k8s.io"

    package static let stdin: UInt8 = 0
    package static let stdout: UInt8 = 1
    package static let stderr: UInt8 = 2
    package static let error: UInt8 = 3
    package static let resize: UInt8 = 4
    /// v5: `[255, stream]` says the sender closed that stream (stdin's end of file).
    package static let close: UInt8 = 255

    /// The first of the client's offered protocols this side speaks, in the client's order, as
    /// upstream picks it; nil when none (the upgrade is refused).
    package static func negotiate(offered header: String?) -> ChannelProtocol? {
        guard let header else { return nil }
        for item in header.split(separator: ",") {
            if let found = ChannelProtocol(rawValue: item.trimmingCharacters(in: .whitespaces)) { return found }
        }
        return nil
    }

    /// v4 and v5 report the exit as a `Status` on the error stream; older ones as plain text.
    package var structuredErrors: Bool { self == .v4 || self == .v5 }
    package var supportsResize: Bool { self != .v1 && self != .v2 }

    package static func frame(_ stream: UInt8, _ payload: some Sequence<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = [stream]
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Splits a message into its stream and payload; nil for an empty message.
    package static func split(_ message: [UInt8]) -> (stream: UInt8, payload: ArraySlice<UInt8>)? {
        guard let first = message.first else { return nil }
        return (first, message.dropFirst())
    }

    /// What goes on the error stream when the command ended with `exitCode` (or failed to run).
    package func errorPayload(exitCode: Int32?, failure: String? = nil) -> [UInt8] {
        guard structuredErrors else {
            if let failure { return Array(failure.utf8) }
            guard let exitCode, exitCode != 0 else { return [] }
            return Array("command terminated with non-zero exit code: exit status \(exitCode)".utf8)
        }
        if let failure {
            return Self.json(["metadata": [String: String](), "status": "Failure", "message": failure] as [String: Any])
        }
        guard let exitCode, exitCode != 0 else {
            return Self.json(["metadata": [String: String](), "status": "Success"] as [String: Any])
        }
        return Self.json([
            "metadata": [String: String](), "status": "Failure",
            "message": "command terminated with non-zero exit code: exit status \(exitCode)",
            "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": "\(exitCode)"]]],
        ] as [String: Any])
    }

    private static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// A resize message's `{"Width":w,"Height":h}`.
    package static func terminalSize(_ payload: ArraySlice<UInt8>) -> (width: UInt16, height: UInt16)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
              let width = (object["Width"] as? NSNumber)?.intValue, let height = (object["Height"] as? NSNumber)?.intValue,
              (0...Int(UInt16.max)).contains(width), (0...Int(UInt16.max)).contains(height) else { return nil }
        return (UInt16(width), UInt16(height))
    }
}
