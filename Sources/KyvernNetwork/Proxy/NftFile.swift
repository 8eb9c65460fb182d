import Foundation

/// `nft -f` of a text handed over as a file (megabytes on a large cluster), in a named network
/// namespace when given: the one way the proxy's and the policy controller's tables are loaded.
package enum NftFile {
    /// Loads `text` as one nft transaction; `prefix` names the temporary file.
    package static func load(_ text: String, prefix: String, namespace: String?) async throws {
        let path = try write(text, prefix: prefix)
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await ProxyCommand.run(namespace == nil ? "nft" : "ip", arguments(path: path, namespace: namespace))
    }

    /// The same without Subprocess, so it also works in a cancelled task (removal on shutdown).
    package static func loadUncancellable(_ text: String, prefix: String, namespace: String?) throws {
        let path = try write(text, prefix: prefix)
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try ProxyCommand.runUncancellable(namespace == nil ? "nft" : "ip", arguments(path: path, namespace: namespace))
    }

    private static func write(_ text: String, prefix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/\(prefix)-\(UUID().uuidString).nft"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    private static func arguments(path: String, namespace: String?) -> [String] {
        namespace.map { ["netns", "exec", $0, "nft", "-f", path] } ?? ["-f", path]
    }
}
