/// An upstream that did not answer in time.
struct DNSTimeoutError: Error, CustomStringConvertible {
    var description: String { "upstream did not answer in time" }
}

/// Runs `operation`, cancelling it and throwing ``DNSTimeoutError`` once `timeout` has passed.
func withDNSTimeout<T: Sendable>(_ timeout: Duration,
                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DNSTimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
