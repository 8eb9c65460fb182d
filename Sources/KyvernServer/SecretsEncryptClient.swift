import Foundation
import KyvernAPI
import KyvernClient
public import Logging

/// The client side of `kyvern secrets-encrypt`: reaches the running server's admin endpoints
/// (``SecretsEncryptionRoutes``) with the admin kubeconfig of its data directory.
public struct SecretsEncryptClient: Sendable {
    static let base = "/kyvern/secrets-encryption"
    let kubeconfigPath: String
    let logger: Logger

    /// - Parameter kubeconfig: a kubeconfig of a `system:masters` user; default `DATA/kubeconfig.yaml`.
    public init(dataDirectory: String?, kubeconfig: String?, logger: Logger) {
        let data = dataDirectory ?? ServerOptions.defaultDataDirectory()
        self.kubeconfigPath = kubeconfig ?? (data as NSString).appendingPathComponent("kubeconfig.yaml")
        self.logger = logger
    }

    /// The status as lines for a terminal.
    public func status() async throws -> [String] {
        try await withClient { client in
            Self.describe(status: try await client.getPath("\(Self.base)/status"))
        }
    }

    /// A new key first in the server's configuration, then every Secret rewritten under it, batch
    /// by batch; `progress` gets one line per step.
    public func rotate(batchSize: Int = 100, progress: @Sendable (String) -> Void) async throws {
        try await withClient { client in
            let rotated = try await client.postPath("\(Self.base)/rotate-key")
            progress("new \(rotated["provider"]?.stringValue ?? "") key \"\(rotated["key"]?.stringValue ?? "")\" written first in \(rotated["config"]?.stringValue ?? "") and in force; older keys kept for reading")
            var continueKey: String?
            var rewritten: Int64 = 0
            var unchanged: Int64 = 0
            repeat {
                var query = [("limit", String(batchSize))]
                if let continueKey { query.append(("continue", continueKey)) }
                let batch = try await client.postPath("\(Self.base)/reencrypt", query: query)
                rewritten += batch["rewritten"]?.intValue ?? 0
                unchanged += batch["unchanged"]?.intValue ?? 0
                continueKey = batch["continue"]?.stringValue
                progress("re-encrypted \(rewritten) secrets (\(unchanged) already under the new key)")
            } while continueKey != nil
            progress("done: \(rewritten) secrets rewritten under the new key")
        }
    }

    private func withClient<T: Sendable>(_ body: (APIClient) async throws -> T) async throws -> T {
        let configuration = try Kubeconfig.load(path: kubeconfigPath)
            .configuration(userAgent: "kyvern-secrets-encrypt/v1.36.0 (linux) kubernetes/kyvern")
        return try await APIClient.using(configuration, logger: logger, body)
    }

    static func describe(status: JSONValue) -> [String] {
        guard status["enabled"]?.boolValue == true || status["activeProvider"] != nil else {
            return ["Encryption Status: Disabled", "Reason: \(status["reason"]?.stringValue ?? "")"]
        }
        var lines = [
            "Encryption Status: \(status["enabled"]?.boolValue == true ? "Enabled" : "Disabled (identity writes first)")",
            "Config: \(status["config"]?.stringValue ?? "")",
            "Active Provider: \(status["activeProvider"]?.stringValue ?? "")",
            "Active Key: \(status["activeKey"]?.stringValue ?? "")",
            "Keys (in order): \((status["keys"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))",
            "Secrets: \(status[path: ["secrets", "total"]]?.intValue ?? 0)",
        ]
        let byKey = status[path: ["secrets", "byKey"]]?.objectValue ?? [:]
        for key in byKey.keys.sorted() {
            lines.append("  \(key): \(byKey[key]?.intValue ?? 0)")
        }
        return lines
    }
}
