public import Foundation
public import KyvernAPI
public import KyvernClient

/// A ServiceAccount's token, obtained through the TokenRequest API (`serviceaccounts/<name>/token`)
/// with the manager's own credentials and renewed once 80% of its lifetime has passed, as
/// upstream's controller client builder does. Creates the account when it is missing.
///
/// Concurrent callers share one TokenRequest: a renewal in flight is awaited, not repeated.
public actor ServiceAccountTokenCredentials: BearerTokenSource {
    public nonisolated let namespace: String
    public nonisolated let serviceAccount: String
    /// Requested lifetime; the server may shorten it, and its `expirationTimestamp` is what counts.
    public nonisolated let expirationSeconds: Int64
    private let client: any KubernetesClient
    private let now: @Sendable () -> Date

    private struct Issued {
        var token: String
        var renewAfter: Date
    }
    private var issued: Issued?
    private var renewal: Task<Issued, any Error>?

    /// `client` acts as the manager, which may create accounts and tokens in `namespace`.
    public init(client: any KubernetesClient, namespace: String, serviceAccount: String,
                expirationSeconds: Int64 = 3600, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.namespace = namespace
        self.serviceAccount = serviceAccount
        self.expirationSeconds = expirationSeconds
        self.now = now
    }

    public func currentToken() async throws -> String {
        if let issued, now() < issued.renewAfter { return issued.token }
        if let renewal { return try await renewal.value.token }
        let task = Task { [client, namespace, serviceAccount, expirationSeconds, now] in
            try await Self.request(client: client, namespace: namespace, serviceAccount: serviceAccount,
                                   expirationSeconds: expirationSeconds, now: now)
        }
        renewal = task
        defer { renewal = nil }
        let fresh = try await task.value
        issued = fresh
        return fresh.token
    }

    public func tokenRejected(_ token: String) async {
        if issued?.token == token { issued = nil }
    }

    /// A new token; a missing account is created first (the manager's role allows both).
    private static func request(client: any KubernetesClient, namespace: String, serviceAccount: String,
                                expirationSeconds: Int64, now: @Sendable () -> Date) async throws -> Issued {
        let body: JSONValue = [
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "metadata": ["name": .string(serviceAccount), "namespace": .string(namespace)],
            "spec": ["expirationSeconds": .int(expirationSeconds)],
        ]
        let requested = now()
        let response: JSONValue
        do {
            response = try await client.createSubresource(.serviceAccounts, namespace: namespace, name: serviceAccount,
                                                          subresource: "token", body)
        } catch let error as APIError where error.code == 404 {
            try await ensureServiceAccount(client: client, namespace: namespace, name: serviceAccount)
            response = try await client.createSubresource(.serviceAccounts, namespace: namespace, name: serviceAccount,
                                                          subresource: "token", body)
        }
        guard let token = response[path: ["status", "token"]]?.stringValue, !token.isEmpty else {
            throw APIError(code: 500, reason: "InternalError",
                           message: "the TokenRequest for service account \(namespace)/\(serviceAccount) returned no token")
        }
        var lifetime = TimeInterval(expirationSeconds)
        if let expiry = response[path: ["status", "expirationTimestamp"]]?.stringValue,
           let date = try? Date(expiry, strategy: .iso8601) {
            lifetime = date.timeIntervalSince(requested)
        }
        return Issued(token: token, renewAfter: requested.addingTimeInterval(max(0, lifetime * 0.8)))
    }

    /// Creates the account unless it exists (another manager may create it at the same time).
    static func ensureServiceAccount(client: any KubernetesClient, namespace: String, name: String) async throws {
        let account: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount",
                                  "metadata": ["name": .string(name), "namespace": .string(namespace)]]
        do {
            _ = try await client.create(.serviceAccounts, namespace: namespace, account)
        } catch let error as APIError where error.code == 409 {
            return
        }
    }
}
