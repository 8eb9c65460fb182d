public import Logging

extension APIClient {
    /// Runs `body` with a client made for it and shuts the client down afterwards, also when
    /// `body` throws: for one-off tasks (bootstrap, CLI commands) that must not leak connections.
    public static func using<T: Sendable>(_ configuration: ClientConfiguration, logger: Logger,
                                          _ body: (APIClient) async throws -> T) async throws -> T {
        let client = try APIClient(configuration: configuration, logger: logger)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
