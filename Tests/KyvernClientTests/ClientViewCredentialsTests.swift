import KyvernAPI
import NIOHTTP1
import Synchronization
import Testing
@testable import KyvernClient

/// A token source handing out scripted tokens and recording rejections.
final class ScriptedTokens: BearerTokenSource {
    let state: Mutex<(tokens: [String], rejected: [String])>

    init(_ tokens: [String]) {
        state = Mutex((tokens, []))
    }

    var rejected: [String] { state.withLock { $0.rejected } }

    func currentToken() async throws -> String {
        state.withLock { $0.tokens[0] }
    }

    func tokenRejected(_ token: String) async {
        state.withLock { state in
            state.rejected.append(token)
            if state.tokens.count > 1 { state.tokens.removeFirst() }
        }
    }
}

@Suite struct ClientViewCredentialsTests {
    static let configMap = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"}}"#
    static let unauthorized = ScriptedTestServer.Response(
        status: .unauthorized,
        body: #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#)

    @Test func viewSendsItsTokenAndUserAgentWhileTheBaseSendsNone() async throws {
        let server = try await ScriptedTestServer([.init(status: .ok, body: Self.configMap)])
        let base = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(server.port)",
                                                                    userAgent: "kyvern/v1 (linux/amd64) cm"))
        let view = try base.authenticating(with: ScriptedTokens(["t-replicaset"]), userAgent: "cm/replicaset-controller")
        _ = try await view.get(.configMaps, namespace: "default", name: "a")
        _ = try await base.get(.configMaps, namespace: "default", name: "a")
        try await base.shutdown()
        try await server.close()
        let requests = server.requests
        #expect(requests.count == 2)
        #expect(requests.first?.authorization == "Bearer t-replicaset")
        #expect(requests.first?.userAgent == "cm/replicaset-controller")
        #expect(requests.last?.authorization == nil)
        #expect(requests.last?.userAgent == "kyvern/v1 (linux/amd64) cm")
    }

    @Test func viewTokenReplacesTheConfiguredToken() async throws {
        let base = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:1", bearerToken: "admin"))
        let view = try base.authenticating(with: ScriptedTokens(["sa-token"]))
        #expect(try await view.authorizationHeader() == "Bearer sa-token")
        #expect(try await base.authorizationHeader() == "Bearer admin")
        try await base.shutdown()
    }

    @Test func rejectedTokenIsRenewedOnceThenTheErrorIsThrown() async throws {
        let server = try await ScriptedTestServer([Self.unauthorized, .init(status: .ok, body: Self.configMap)])
        let base = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(server.port)"))
        let tokens = ScriptedTokens(["old", "new"])
        let view = try base.authenticating(with: tokens)
        let object = try await view.get(.configMaps, namespace: "default", name: "a")
        #expect(object[path: ["metadata", "name"]]?.stringValue == "a")
        #expect(server.requests.map(\.authorization) == ["Bearer old", "Bearer new"])
        #expect(tokens.rejected == ["old"])
        try await base.shutdown()
        try await server.close()

        // A second 401 in a row is the caller's to see.
        let refusing = try await ScriptedTestServer([Self.unauthorized])
        let other = try APIClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(refusing.port)"))
        let refused = try other.authenticating(with: ScriptedTokens(["a", "b"]))
        await #expect(throws: APIError.self) { _ = try await refused.get(.configMaps, namespace: "default", name: "a") }
        #expect(refusing.requests.count == 2)
        try await other.shutdown()
        try await refusing.close()
    }

    @Test func withoutCredentialsKeepsServerAndCAOnly() {
        let configuration = ClientConfiguration(
            server: "https://127.0.0.1:6443", certificateAuthorityPEM: "CA", bearerToken: "t",
            clientIdentity: .init(certificatePEM: "C", privateKeyPEM: "K"), userAgent: "ua")
        let stripped = configuration.withoutCredentials()
        #expect(stripped.bearerToken == nil)
        #expect(stripped.clientIdentity == nil)
        #expect(stripped.server == configuration.server)
        #expect(stripped.certificateAuthorityPEM == "CA")
        #expect(stripped.userAgent == "ua")
    }
}
