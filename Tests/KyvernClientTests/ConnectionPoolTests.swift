import KyvernAPI
import Testing
@testable import KyvernClient

/// Watches and other requests take their connections from separate pools: watches hold theirs for
/// minutes and are never kept waiting by a burst of requests; a burst of requests shares a bounded
/// number of connections instead of opening (and handshaking) one per request in flight.
@Suite(.timeLimit(.minutes(1))) struct ConnectionPoolTests {
    static let event = #"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"5"}}}"# + "\n"

    @Test func moreWatchesThanTheRequestLimitEachGetAConnection() async throws {
        let server = try await StreamingTestServer(firstChunk: Self.event)
        let client = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(server.port)"))
        let count = APIClient.requestConnectionLimit + 8
        var streams: [AsyncThrowingStream<WatchEvent, any Error>] = []
        for _ in 0..<count {
            streams.append(try await client.watch(.pods, namespace: nil, options: ListOptions()))
        }
        #expect(try await server.wait(seconds: 10) { $0.opened == count })
        streams.removeAll()
        try await client.shutdown()
        try await server.close()
    }

    @Test func aBurstOfRequestsSharesTheBoundedPool() async throws {
        // Every answer here stays open, so each request holds its connection: the pool opens no more
        // than its limit and the rest wait for one.
        let server = try await StreamingTestServer(firstChunk: "{}")
        let client = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(server.port)"))
        let limit = APIClient.requestConnectionLimit
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<(limit + 16) {
                group.addTask { _ = try? await client.getPath("/api/v1/namespaces") }
            }
            #expect((try? await server.wait(seconds: 10) { $0.opened == limit }) == true)
            try? await Task.sleep(for: .milliseconds(500))
            #expect(server.opened == limit)
            group.cancelAll()
            try? await client.shutdown()
        }
        try await server.close()
    }
}
