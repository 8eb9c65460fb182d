/// A CNI plugin (or the iptables cleanup after it) failed; `message` is the plugin's own `msg`.
public struct CNIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var plugin: String
    public var command: String
    public var message: String

    public init(plugin: String, command: String, message: String) {
        self.plugin = plugin
        self.command = command
        self.message = message
    }

    public var description: String { "plugin type=\"\(plugin)\" failed (\(command.lowercased())): \(message)" }
}
