public import Logging

/// A short-lived connection for one `kyvern crictl` command: runs the connection loop beside
/// `body` and closes it when `body` returns.
public enum CRICtlSession {
    public static func with<Result: Sendable>(
        endpoint: CRIEndpoint, logger: Logger,
        _ body: @escaping @Sendable (CRIRuntime, CRIImageService) async throws -> Result
    ) async throws -> Result {
        let connection = try CRIConnection(endpoint: endpoint, requestTimeout: .seconds(30), logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await connection.run()
                return nil
            }
            group.addTask {
                defer { connection.shutdown() }
                return try await body(CRIRuntime(connection: connection, logger: logger), CRIImageService(connection: connection))
            }
            var result: Result?
            for try await value in group { if let value { result = value } }
            guard let result else { throw CRICallError(method: "crictl", code: "unknown", message: "no result") }
            return result
        }
    }
}
