import KyvernAPI
import NIOHTTP1
import Testing
@testable import KyvernClient

/// 429 and 503-with-Retry-After answers are retried after the server's delay, for every verb.
@Suite struct ThrottlingTests {
    static let tooMany = ScriptedTestServer.Response(
        status: .tooManyRequests, headers: [("Retry-After", "1")],
        body: #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"slow down","reason":"TooManyRequests","code":429}"#)
    static let unavailable = ScriptedTestServer.Response(
        status: .serviceUnavailable, headers: [("Retry-After", "1")],
        body: #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"busy","reason":"ServiceUnavailable","code":503}"#)
    static let configMap = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default","resourceVersion":"7"}}"#

    func withServer(_ script: [ScriptedTestServer.Response], maxRetries: Int = 5,
                    _ body: (APIClient, ScriptedTestServer) async throws -> Void) async throws {
        let server = try await ScriptedTestServer(script)
        var client = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(server.port)"))
        client.maxThrottleRetries = maxRetries
        do {
            try await body(client, server)
        } catch {
            try? await client.shutdown()
            try? await server.close()
            throw error
        }
        try await client.shutdown()
        try await server.close()
    }

    @Test func aCreateAnswered429IsSentAgainAfterRetryAfter() async throws {
        try await withServer([Self.tooMany, .init(status: .created, body: Self.configMap)]) { client, server in
            let start = ContinuousClock.now
            let created = try await client.create(.configMaps, namespace: "default",
                                                  ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"]])
            #expect(created[path: ["metadata", "resourceVersion"]] == "7")
            #expect(ContinuousClock.now - start >= .milliseconds(950))
            let requests = server.requests
            #expect(requests.map(\.method) == ["POST", "POST"])
            #expect(requests.map(\.uri) == ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/configmaps"])
            #expect(requests[0].body == requests[1].body)
        }
    }

    @Test func aGetAnswered503WithRetryAfterIsRetried() async throws {
        try await withServer([Self.unavailable, .init(status: .ok, body: Self.configMap)]) { client, server in
            let got = try await client.get(.configMaps, namespace: "default", name: "a")
            #expect(got[path: ["metadata", "name"]] == "a")
            #expect(server.requests.count == 2)
        }
    }

    @Test func a503WithoutRetryAfterIsThrownAtOnce() async throws {
        var plain = Self.unavailable
        plain.headers = []
        try await withServer([plain, .init(status: .ok, body: Self.configMap)]) { client, server in
            await #expect(throws: APIError.self) { _ = try await client.get(.configMaps, namespace: "default", name: "a") }
            #expect(server.requests.count == 1)
        }
    }

    @Test func retriesAreBounded() async throws {
        try await withServer([Self.tooMany], maxRetries: 1) { client, server in
            do {
                _ = try await client.delete(.configMaps, namespace: "default", name: "a")
                Issue.record("expected the 429 to be thrown")
            } catch let error as APIError {
                #expect(error.code == 429)
                #expect(error.reason == "TooManyRequests")
            }
            #expect(server.requests.map(\.method) == ["DELETE", "DELETE"])
        }
    }

    @Test func cancellationEndsTheWait() async throws {
        var long = Self.tooMany
        long.headers = [("Retry-After", "10")]
        try await withServer([long]) { client, server in
            let start = ContinuousClock.now
            let task = Task { try await client.get(.configMaps, namespace: "default", name: "a") }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            // Well short of the 10 s the server asked for (the bound leaves room for a loaded machine).
            #expect(ContinuousClock.now - start < .seconds(8))
            #expect(server.requests.count == 1)
        }
    }

    @Test func whichAnswersAreThrottled() {
        #expect(APIClient.isThrottled(code: 429, retryAfter: nil))
        #expect(APIClient.isThrottled(code: 503, retryAfter: "2"))
        #expect(APIClient.isThrottled(code: 500, retryAfter: "1"))
        #expect(!APIClient.isThrottled(code: 503, retryAfter: nil))
        #expect(!APIClient.isThrottled(code: 409, retryAfter: "1"))
    }
}
