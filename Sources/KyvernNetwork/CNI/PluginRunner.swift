import Foundation
import Subprocess

/// Runs one CNI plugin binary the way the CNI spec says a runtime does: the network
/// configuration on stdin, the command and container in `CNI_*` variables, the result (or an
/// error object) on stdout.
struct PluginRunner: Sendable {
    /// Where the plugin binaries are (`CNI_PATH`), e.g. /usr/lib/cni.
    let pluginDirectory: String

    struct Invocation: Sendable {
        var command: String
        var containerID: String
        var networkNamespace: String
        var interface: String
        var arguments: String
    }

    /// The plugin's parsed stdout (a result for ADD, empty for DEL and CHECK).
    func run(type: String, config: [String: Any], invocation: Invocation) async throws -> [String: Any] {
        guard FileManager.default.isExecutableFile(atPath: pluginDirectory + "/" + type) else {
            throw CNIError(plugin: type, command: invocation.command,
                           message: "failed to find plugin \"\(type)\" in path [\(pluginDirectory)]")
        }
        let input = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        // Plugins find their IPAM plugin through CNI_PATH and iptables/ip through PATH.
        let environment: [Environment.Key: String] = [
            "CNI_COMMAND": invocation.command,
            "CNI_CONTAINERID": invocation.containerID,
            "CNI_NETNS": invocation.networkNamespace,
            "CNI_IFNAME": invocation.interface,
            "CNI_ARGS": invocation.arguments,
            "CNI_PATH": pluginDirectory,
            "PATH": "\(pluginDirectory):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let result = try await Subprocess.run(.name(type), environment: .custom(environment),
                                              input: .array(Array(input)), output: .bytes(limit: 1 << 20),
                                              error: .bytes(limit: 1 << 16))
        let stdout = result.standardOutput
        let parsed = stdout.isEmpty ? [:] : ((try? JSONSerialization.jsonObject(with: Data(stdout))) as? [String: Any]) ?? [:]
        guard result.terminationStatus.isSuccess else {
            var message = parsed["msg"] as? String ?? ""
            if let details = parsed["details"] as? String, !details.isEmpty { message += "; " + details }
            if message.isEmpty {
                message = String(decoding: result.standardError + stdout, as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            throw CNIError(plugin: type, command: invocation.command, message: message)
        }
        return parsed
    }
}
