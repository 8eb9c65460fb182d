import KyvernAPI
import Testing
@testable import KyvernClient

/// A watch the consumer abandons must close its connection at once, not when the server's
/// `timeoutSeconds` ends it: components start and drop watches all the time (re-lists, leader
/// changes) and each held connection is a server-side watcher and a file descriptor.
@Suite(.timeLimit(.minutes(1))) struct WatchLifetimeTests {
    static let event = #"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"5"}}}"# + "\n"

    func makeClient(_ server: StreamingTestServer) throws -> APIClient {
        try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(server.port)"))
    }

    @Test func breakingOutOfTheLoopClosesTheConnection() async throws {
        let server = try await StreamingTestServer(firstChunk: Self.event)
        let client = try makeClient(server)
        try await consumeFirstEventAndBreak(client)
        #expect(try await server.wait(seconds: 5) { $0.opened == 1 && $0.closed == 1 })
        let clock = ContinuousClock()
        let start = clock.now
        try await client.shutdown()
        #expect(clock.now - start < .seconds(2))
        try await server.close()
    }

    func consumeFirstEventAndBreak(_ client: APIClient) async throws {
        let events = try await client.watch(.pods, namespace: nil, options: ListOptions())
        var first: WatchEvent?
        for try await event in events {
            first = event
            break
        }
        #expect(first == .added(["kind": "Pod", "metadata": ["name": "a", "resourceVersion": "5"]]))
    }

    @Test func cancellingTheConsumingTaskEndsTheStreamAndClosesTheConnection() async throws {
        let server = try await StreamingTestServer(firstChunk: Self.event)
        let client = try makeClient(server)
        let events = try await client.watch(.pods, namespace: "default", options: ListOptions())
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var seen = 0
                do {
                    for try await _ in events { seen += 1 }
                } catch is CancellationError {}
                return seen
            }
            // The first event has arrived once the server has answered; then only cancellation can end the loop.
            _ = try await server.wait(seconds: 5) { $0.opened == 1 }
            try await Task.sleep(for: .milliseconds(200))
            group.cancelAll()
            return try await group.next() ?? -1
        }
        #expect(count == 1)
        #expect(try await server.wait(seconds: 5) { $0.closed == 1 })
        try await client.shutdown()
        try await server.close()
    }
}
